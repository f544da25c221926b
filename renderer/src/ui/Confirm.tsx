/**
 * The app's own confirmation for destructive actions, in place of the browser's confirm(): it
 * names the action on its button ("Leave", "Delete"), says what will happen, and starts on
 * Cancel, so a stray Enter keeps things as they were. Escape cancels.
 */
import { type ReactNode, useCallback, useState } from "react";
import { Dialog } from "./Dialog.js";

export interface Confirmation {
  title: string;
  /** What happens, in a sentence or two. */
  body: ReactNode;
  /** The verb on the button that does it. */
  action: string;
  run: () => void;
}

export function ConfirmDialog(props: Confirmation & { onClose: () => void }) {
  return (
    <Dialog title={props.title} onClose={props.onClose} alert>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          props.onClose();
          props.run();
        }}
      >
        <p dir="auto">{props.body}</p>
        <div className="row end">
          <button type="button" onClick={props.onClose} data-autofocus>
            Cancel
          </button>
          <button type="submit" className="danger">
            {props.action}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** `ask(...)` opens a confirmation; render `dialog` wherever the caller renders. */
export function useConfirm(): { dialog: ReactNode; ask: (c: Confirmation) => void } {
  const [asking, setAsking] = useState<Confirmation>();
  const ask = useCallback((c: Confirmation) => setAsking(c), []);
  const dialog = asking ? <ConfirmDialog {...asking} onClose={() => setAsking(undefined)} /> : null;
  return { dialog, ask };
}
