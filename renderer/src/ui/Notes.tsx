import { useEffect, useRef, useState } from "react";
import * as Y from "yjs";
import { MAX_NOTE_TITLE } from "../../../core/space/tools/notes.js";
import type { SpaceHandle } from "../model/space-handle.js";
import { useConfirm } from "./Confirm.js";
import { shortTime } from "./format.js";
import { useClient } from "./hooks.js";
import { Markdown } from "./Markdown.js";
import { diffText } from "./text-edit.js";

/** Notes: pages of text everyone in the space edits together, live. */
export function Notes({ handle }: { handle: SpaceHandle }) {
  const client = useClient();
  const [open, setOpen] = useState<string>();
  const list = handle.notes();
  if (open && list.some((n) => n.id === open)) {
    return <Note handle={handle} id={open} onBack={() => setOpen(undefined)} />;
  }
  return (
    <div className="notes">
      {handle.canWrite && (
        <div className="row end">
          <button
            type="button"
            className="primary"
            onClick={() =>
              void client.attempt("Creating the note", async () => {
                setOpen(await handle.createNote("Untitled"));
              })
            }
          >
            New note
          </button>
        </div>
      )}
      <h2 className="sr-only">Notes</h2>
      <ul className="topics">
        {list.map((n) => (
          <li key={n.id}>
            <button type="button" className="topic" onClick={() => setOpen(n.id)}>
              <span className="topic-title" dir="auto">
                {n.title || "Untitled"}
              </span>
              <span className="muted small">
                edited by {n.edited.name} · {shortTime(n.edited.at)}
              </span>
            </button>
          </li>
        ))}
        {list.length === 0 && (
          <li className="muted pad">
            No notes yet.{handle.canWrite ? " Start one: everyone here can edit it with you." : ""}
          </li>
        )}
      </ul>
    </div>
  );
}

function Note(props: { handle: SpaceHandle; id: string; onBack: () => void }) {
  const { handle, id } = props;
  const client = useClient();
  const { dialog: confirmDialog, ask } = useConfirm();
  const view = handle.notes().find((n) => n.id === id);
  const [preview, setPreview] = useState(false);
  if (!view) return null;
  const canDelete = handle.canWrite && (handle.canManage || view.created.by === client.myUser);
  return (
    <div className="thread note">
      {confirmDialog}
      <button type="button" className="link" onClick={props.onBack}>
        ← All notes
      </button>
      <NoteTitle handle={handle} id={id} title={view.title} />
      <p className="muted small">
        Started by {view.created.name} · edited by {view.edited.name} · {shortTime(view.edited.at)}
      </p>
      <div className="row">
        <button type="button" aria-pressed={preview} onClick={() => setPreview(!preview)}>
          {preview ? "Edit" : "Preview"}
        </button>
        {canDelete && (
          <button
            type="button"
            onClick={() =>
              ask({
                title: "Delete this note?",
                body: `"${view.title || "Untitled"}" is deleted for everyone in this space.`,
                action: "Delete note",
                run: () => void client.attempt("Deleting the note", () => handle.deleteNote(id)),
              })
            }
          >
            Delete
          </button>
        )}
      </div>
      {preview ? (
        <div className="note-preview">
          <Markdown text={handle.noteText(id)} />
        </div>
      ) : (
        <NoteEditor handle={handle} id={id} readOnly={!handle.canWrite} />
      )}
    </div>
  );
}

function NoteTitle(props: { handle: SpaceHandle; id: string; title: string }) {
  const client = useClient();
  const [title, setTitle] = useState(props.title);
  const [editing, setEditing] = useState(false);
  // A rename by someone else shows, unless this user is typing a title of their own.
  useEffect(() => {
    if (!editing) setTitle(props.title);
  }, [props.title, editing]);
  if (!props.handle.canWrite) return <h2 dir="auto">{props.title || "Untitled"}</h2>;
  const commit = () => {
    setEditing(false);
    if (title.trim() !== props.title) {
      void client.attempt("Renaming the note", () => props.handle.renameNote(props.id, title));
    }
  };
  return (
    <input
      className="note-title"
      dir="auto"
      aria-label="Note title"
      value={title}
      maxLength={MAX_NOTE_TITLE}
      onFocus={() => setEditing(true)}
      onChange={(e) => setTitle(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === "Enter") e.currentTarget.blur();
      }}
    />
  );
}

/**
 * A textarea over the note's shared text. It is left uncontrolled: local
 * input becomes one change to the Y.Text (sealed with the rest of the burst),
 * and a remote change rewrites the value and puts the selection back by the
 * same characters, through Yjs relative positions.
 */
function NoteEditor(props: { handle: SpaceHandle; id: string; readOnly: boolean }) {
  const { handle, id } = props;
  const area = useRef<HTMLTextAreaElement>(null);
  const body = handle.noteBody(id);
  useEffect(() => {
    const el = area.current;
    if (!el || !body?.doc) return;
    const doc = body.doc;
    let shown = body.toString();
    el.value = shown;
    let selection: [Y.RelativePosition, Y.RelativePosition] | undefined;
    const remember = () => {
      selection = [
        Y.createRelativePositionFromTypeIndex(body, el.selectionStart, -1),
        Y.createRelativePositionFromTypeIndex(body, el.selectionEnd, -1),
      ];
    };
    const onInput = () => {
      const change = diffText(shown, el.value);
      if (change.remove > 0 || change.insert.length > 0) handle.typeInNote(id, change);
      // The note may have taken less than was typed (it is full): show what it holds, or
      // the next diff would be reckoned against text nobody else has.
      const held = body.toString();
      if (held !== el.value) {
        const caret = Math.min(el.selectionStart, held.length);
        el.value = held;
        el.setSelectionRange(caret, caret);
      }
      shown = held;
      remember();
    };
    const onChange = (_event: Y.YTextEvent, transaction: Y.Transaction) => {
      if (transaction.local) return;
      const next = body.toString();
      if (next === el.value) {
        shown = next;
        return;
      }
      const focused = document.activeElement === el;
      el.value = next;
      shown = next;
      if (focused && selection) {
        const at = (p: Y.RelativePosition) =>
          Y.createAbsolutePositionFromRelativePosition(p, doc)?.index ?? next.length;
        el.setSelectionRange(at(selection[0]), at(selection[1]));
      }
    };
    const events = ["select", "keyup", "mouseup", "focus"] as const;
    el.addEventListener("input", onInput);
    for (const e of events) el.addEventListener(e, remember);
    body.observe(onChange);
    return () => {
      el.removeEventListener("input", onInput);
      for (const e of events) el.removeEventListener(e, remember);
      body.unobserve(onChange);
    };
  }, [body, handle, id]);
  if (!body) return null;
  return (
    <textarea
      ref={area}
      className="note-body"
      dir="auto"
      aria-label="Note text"
      readOnly={props.readOnly}
      rows={18}
      spellCheck
      placeholder={props.readOnly ? "" : "Write here. Everyone in the space sees it as you type."}
    />
  );
}
