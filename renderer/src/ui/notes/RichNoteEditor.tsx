/**
 * A note's rich-text editor: TipTap over the note's shared Y.XmlFragment,
 * everyone's caret named and coloured. Local changes go into the space's
 * doc through the ProseMirror binding; the space holds them as pending and
 * `typedInNote` seals them with the typing batch (and the "edited by"
 * stamp). A viewer gets the same editor, not editable.
 */
import Collaboration from "@tiptap/extension-collaboration";
import CollaborationCaret from "@tiptap/extension-collaboration-caret";
import { EditorContent, useEditor, useEditorState } from "@tiptap/react";
import { ySyncPluginKey } from "@tiptap/y-tiptap";
import { useEffect, useMemo } from "react";
import type * as Y from "yjs";
import type { NotesModel } from "../../tools/notes/model.js";
import { CaretAwareness, colourOf } from "./caret-awareness.js";
import { allowedHref, noteExtensions } from "./content.js";
import { Toolbar } from "./Toolbar.js";

export function RichNoteEditor(props: {
  handle: NotesModel;
  id: string;
  fragment: Y.XmlFragment;
  readOnly: boolean;
}) {
  const { handle, id, fragment, readOnly } = props;
  const doc = fragment.doc;
  const awareness = useMemo(
    () => new CaretAwareness(doc?.clientID ?? 0, (caret) => handle.setCaret(caret)),
    [doc, handle],
  );
  const editor = useEditor(
    {
      extensions: [
        ...noteExtensions(),
        Collaboration.configure({ fragment }),
        CollaborationCaret.configure({
          provider: { awareness },
          user: { name: "", color: colourOf(handle.myUser) },
          render: (user) => caretElement(user.name as string, user.color as string),
        }),
      ],
      editable: !readOnly,
      immediatelyRender: true,
      shouldRerenderOnTransaction: false,
      editorProps: {
        attributes: {
          class: "note-rich",
          // Each block takes its direction from its own first letters (styles.css: plaintext).
          dir: "auto",
          "aria-label": "Note text",
          "aria-multiline": "true",
          role: "textbox",
          ...(readOnly ? { "aria-readonly": "true" } : {}),
        },
      },
    },
    [fragment, awareness, readOnly],
  );

  // The editor's own writes are typing: sealed in the batch, stamped "edited by", and, being
  // on screen already, rendered elsewhere in the view only when the page is idle.
  useEffect(() => {
    handle.typingOrigin(ySyncPluginKey);
    const onChange = (_events: Y.YEvent<Y.XmlElement>[], tr: Y.Transaction) => {
      if (tr.origin === ySyncPluginKey) handle.typedInNote(id);
    };
    fragment.observeDeep(onChange);
    return () => fragment.unobserveDeep(onChange);
  }, [fragment, handle, id]);

  // Everyone else's carets in this note, as whereabouts hear them.
  useEffect(() => {
    const show = () =>
      awareness.setRemote(
        handle
          .caretsIn(id)
          .flatMap((p) =>
            p.caret
              ? [{ device: p.device, name: p.name, color: colourOf(p.user), caret: p.caret }]
              : [],
          ),
      );
    show();
    handle.whereabouts.on("change", show);
    return () => {
      handle.whereabouts.off("change", show);
      handle.setCaret(undefined);
      awareness.destroy();
    };
  }, [awareness, handle, id]);

  const canLink = useEditorState({
    editor,
    selector: ({ editor: e }) => !readOnly && !e.state.selection.empty,
  });

  return (
    <div className="note-editor">
      {!readOnly && <Toolbar editor={editor} canLink={canLink} allowed={allowedHref} />}
      <EditorContent editor={editor} />
    </div>
  );
}

/** A caret with its owner's name: text only, never markup. */
function caretElement(name: string, color: string): HTMLElement {
  const caret = document.createElement("span");
  caret.className = "collaboration-carets__caret";
  caret.style.borderColor = color;
  const label = document.createElement("span");
  label.className = "collaboration-carets__label";
  label.style.backgroundColor = color;
  label.textContent = name;
  caret.append(label);
  return caret;
}
