/**
 * What a note may hold: the TipTap extensions that make the notes schema
 * (headings, bold/italic/strike/code, bullet, numbered and check lists,
 * quotes, code blocks, links, horizontal rules, hard breaks) and the one
 * rule for links. Shared by the editor, Markdown import and export, so all
 * three agree on the same schema. No image node exists, so neither typing,
 * pasting nor importing can bring an image in.
 */
import type { AnyExtension } from "@tiptap/core";
import { TaskItem, TaskList } from "@tiptap/extension-list";
import StarterKit from "@tiptap/starter-kit";

const LINK_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

/** Whether a link may point there: absolute http, https and mailto only. */
export function allowedHref(href: string | null | undefined): boolean {
  if (!href) return false;
  // Control characters and whitespace inside a scheme are how "java\tscript:" slips past checks.
  for (const ch of href) {
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) return false;
  }
  try {
    return LINK_PROTOCOLS.has(new URL(href.trim()).protocol);
  } catch {
    return false;
  }
}

/** The content extensions (no collaboration): the schema every note is read and written in. */
export function noteExtensions(): AnyExtension[] {
  return [
    StarterKit.configure({
      // Collaboration brings its own undo, per user, over the shared doc.
      undoRedo: false,
      // Markdown cannot say "underlined": left out so every note exports whole.
      underline: false,
      // It writes a paragraph into the shared doc by itself, even in a viewer's editor.
      trailingNode: false,
      heading: { levels: [1, 2, 3] },
      link: {
        openOnClick: false,
        autolink: true,
        linkOnPaste: true,
        defaultProtocol: "https",
        isAllowedUri: (url) => allowedHref(url),
        HTMLAttributes: { rel: "noopener noreferrer nofollow", target: "_blank" },
      },
    }),
    TaskList,
    TaskItem.configure({ nested: true }),
  ];
}
