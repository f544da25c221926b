/** The note editor's formatting buttons; every one also has a Markdown shortcut as you type. */
import type { Editor } from "@tiptap/core";
import { useEditorState } from "@tiptap/react";

interface Button {
  label: string;
  text: string;
  active: (e: Editor) => boolean;
  run: (e: Editor) => void;
}

const BUTTONS: Button[] = [
  {
    label: "Heading 1",
    text: "H1",
    active: (e) => e.isActive("heading", { level: 1 }),
    run: (e) => e.chain().focus().toggleHeading({ level: 1 }).run(),
  },
  {
    label: "Heading 2",
    text: "H2",
    active: (e) => e.isActive("heading", { level: 2 }),
    run: (e) => e.chain().focus().toggleHeading({ level: 2 }).run(),
  },
  {
    label: "Bold",
    text: "B",
    active: (e) => e.isActive("bold"),
    run: (e) => e.chain().focus().toggleBold().run(),
  },
  {
    label: "Italic",
    text: "I",
    active: (e) => e.isActive("italic"),
    run: (e) => e.chain().focus().toggleItalic().run(),
  },
  {
    label: "Strikethrough",
    text: "S",
    active: (e) => e.isActive("strike"),
    run: (e) => e.chain().focus().toggleStrike().run(),
  },
  {
    label: "Code",
    text: "</>",
    active: (e) => e.isActive("code"),
    run: (e) => e.chain().focus().toggleCode().run(),
  },
  {
    label: "Bulleted list",
    text: "•",
    active: (e) => e.isActive("bulletList"),
    run: (e) => e.chain().focus().toggleBulletList().run(),
  },
  {
    label: "Numbered list",
    text: "1.",
    active: (e) => e.isActive("orderedList"),
    run: (e) => e.chain().focus().toggleOrderedList().run(),
  },
  {
    label: "Checklist",
    text: "☐",
    active: (e) => e.isActive("taskList"),
    run: (e) => e.chain().focus().toggleTaskList().run(),
  },
  {
    label: "Quote",
    text: "❝",
    active: (e) => e.isActive("blockquote"),
    run: (e) => e.chain().focus().toggleBlockquote().run(),
  },
  {
    label: "Code block",
    text: "{ }",
    active: (e) => e.isActive("codeBlock"),
    run: (e) => e.chain().focus().toggleCodeBlock().run(),
  },
  {
    label: "Horizontal rule",
    text: "―",
    active: () => false,
    run: (e) => e.chain().focus().setHorizontalRule().run(),
  },
];

export function Toolbar(props: {
  editor: Editor;
  canLink: boolean;
  allowed: (href: string) => boolean;
}) {
  const { editor } = props;
  const active = useEditorState({
    editor,
    selector: ({ editor: e }) => BUTTONS.map((b) => b.active(e)).concat(e.isActive("link")),
  });
  const link = () => {
    if (editor.isActive("link")) {
      editor.chain().focus().extendMarkRange("link").unsetLink().run();
      return;
    }
    const href = prompt("Link address (https://, http:// or mailto:)")?.trim();
    if (!href) return;
    if (!props.allowed(href)) {
      alert("Only https, http and mailto links can go in a note.");
      return;
    }
    editor.chain().focus().extendMarkRange("link").setLink({ href }).run();
  };
  return (
    <div className="note-toolbar" role="toolbar" aria-label="Formatting">
      {BUTTONS.map((b, i) => (
        <button
          key={b.label}
          type="button"
          aria-label={b.label}
          title={b.label}
          aria-pressed={b.label === "Horizontal rule" ? undefined : active[i]}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => b.run(editor)}
        >
          {b.text}
        </button>
      ))}
      <button
        type="button"
        aria-label="Link"
        title="Link"
        aria-pressed={active[BUTTONS.length]}
        disabled={!props.canLink && !active[BUTTONS.length]}
        onMouseDown={(e) => e.preventDefault()}
        onClick={link}
      >
        Link
      </button>
    </div>
  );
}
