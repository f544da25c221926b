/**
 * Decision 44's plain textarea over a note's Y.Text, kept for one job: the
 * notes benchmark measures it beside the rich editor in the same run. Only
 * a test-hooks build can show it (`groveNotesEditor = "plain"`, Notes.tsx);
 * a release build drops it.
 */
import { useEffect, useRef } from "react";
import * as Y from "yjs";
import type { NotesModel } from "../../tools/notes/model.js";
import { diffText } from "../text-edit.js";

/**
 * A textarea over the note's shared text. It is left uncontrolled: local
 * input becomes one change to the Y.Text (sealed with the rest of the burst),
 * and a remote change rewrites the value and puts the selection back by the
 * same characters, through Yjs relative positions.
 */
export function PlainNoteEditor(props: { handle: NotesModel; id: string; readOnly: boolean }) {
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
      aria-label="Note text"
      readOnly={props.readOnly}
      rows={18}
      spellCheck
      placeholder={props.readOnly ? "" : "Write here. Everyone in the space sees it as you type."}
    />
  );
}
