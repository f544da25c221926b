import { useEffect, useMemo, useRef, useState } from "react";
import { MAX_NOTE_TITLE } from "../../../../core/space/tools/notes.js";
import type { SpaceHandle } from "../../model/space-handle.js";
import type { ToolViewProps } from "../../model/tool-plugin.js";
import { useConfirm } from "../../ui/Confirm.js";
import { shortTime } from "../../ui/format.js";
import { useClient } from "../../ui/hooks.js";
import { readMarkdown, saveMarkdown } from "../../ui/notes/files.js";
import { fillFragment, fragmentToMarkdown, fromMarkdown } from "../../ui/notes/markdown.js";
import { PlainNoteEditor } from "../../ui/notes/PlainNoteEditor.js";
import { RichNoteEditor } from "../../ui/notes/RichNoteEditor.js";
import { WhoIsHere } from "../../ui/notes/WhoIsHere.js";
import type { NotesModel } from "./model.js";

/** Notes: pages of rich text everyone in the space edits together, live. */
export function NotesView({ handle, model }: ToolViewProps<NotesModel>) {
  const client = useClient();
  const [open, setOpen] = useState<string>();
  const picker = useRef<HTMLInputElement>(null);
  const list = model.notes();
  const here = handle.whoIsWhere();
  if (open && list.some((n) => n.id === open)) {
    return <Note handle={handle} model={model} id={open} onBack={() => setOpen(undefined)} />;
  }
  const importFile = (file: File) =>
    client.attempt(`Importing ${file.name}`, async () => {
      const { title, text } = await readMarkdown(file);
      const content = fromMarkdown(text);
      setOpen(await model.createNote(title, (rich) => fillFragment(rich, content)));
    });
  return (
    <div className="notes">
      {handle.canWrite && (
        <div className="row end">
          <button type="button" onClick={() => picker.current?.click()}>
            Import Markdown
          </button>
          <input
            ref={picker}
            type="file"
            accept=".md,.markdown,.txt,text/markdown,text/plain"
            hidden
            // The stylesheet gives inputs a display of their own, which beats `hidden`.
            style={{ display: "none" }}
            aria-label="Markdown file to import"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void importFile(file).finally(() => (e.target.value = ""));
            }}
          />
          <button
            type="button"
            className="primary"
            onClick={() =>
              void client.attempt("Creating the note", async () => {
                setOpen(await model.createNote("Untitled"));
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
          <li key={n.id} className="note-item">
            <button type="button" className="topic" onClick={() => setOpen(n.id)}>
              <span className="topic-title" dir="auto">
                {n.title || "Untitled"}
              </span>
              <span className="muted small">
                edited by {n.edited.name} · {shortTime(n.edited.at)}
              </span>
            </button>
            <WhoIsHere
              people={here
                .filter((p) => p.note === n.id)
                .map((p) => ({ ...p, where: `Notes: ${n.title || "Untitled"}` }))}
            />
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

/** The textarea of decision 44 instead of the rich editor: for the notes benchmark only. */
const plainEditor = () =>
  __GROVE_TEST_HOOKS__ &&
  (globalThis as { groveNotesEditor?: string }).groveNotesEditor === "plain";

function Note(props: { handle: SpaceHandle; model: NotesModel; id: string; onBack: () => void }) {
  const { handle, model, id } = props;
  const client = useClient();
  const { dialog: confirmDialog, ask } = useConfirm();
  const view = model.notes().find((n) => n.id === id);
  const plain = plainEditor();
  // Bound once per note: a plain note is migrated here, on first open by a writer.
  const rich = useMemo(() => (plain ? undefined : model.noteRich(id)), [model, id, plain]);
  useEffect(() => {
    model.setNote(id);
    return () => model.setNote(undefined);
  }, [model, id]);
  if (!view || (!rich && !plain)) return null;
  const canDelete = handle.canWrite && (handle.canManage || view.created.by === client.myUser);
  const here = handle
    .whoIsWhere()
    .filter((p) => p.note === id)
    .map((p) => ({ ...p, where: `Notes: ${view.title || "Untitled"}` }));
  return (
    <div className="thread note">
      {confirmDialog}
      <button type="button" className="link" onClick={props.onBack}>
        ← All notes
      </button>
      <NoteTitle handle={handle} model={model} id={id} title={view.title} />
      <p className="muted small">
        Started by {view.created.name} · edited by {view.edited.name} · {shortTime(view.edited.at)}
      </p>
      <div className="row">
        <WhoIsHere people={here} className="grow" />
        <button
          type="button"
          onClick={() =>
            void client.attempt("Exporting the note", async () => {
              if (rich) await saveMarkdown(view.title, fragmentToMarkdown(rich.fragment));
            })
          }
        >
          Export Markdown
        </button>
        {canDelete && (
          <button
            type="button"
            onClick={() =>
              ask({
                title: "Delete this note?",
                body: `"${view.title || "Untitled"}" is deleted for everyone in this space.`,
                action: "Delete note",
                run: () => void client.attempt("Deleting the note", () => model.deleteNote(id)),
              })
            }
          >
            Delete
          </button>
        )}
      </div>
      {rich ? (
        <RichNoteEditor
          handle={model}
          id={id}
          fragment={rich.fragment}
          readOnly={!handle.canWrite || !rich.shared}
        />
      ) : (
        <PlainNoteEditor handle={model} id={id} readOnly={!handle.canWrite} />
      )}
    </div>
  );
}

function NoteTitle(props: { handle: SpaceHandle; model: NotesModel; id: string; title: string }) {
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
      void client.attempt("Renaming the note", () => props.model.renameNote(props.id, title));
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
