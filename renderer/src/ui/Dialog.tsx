/**
 * A modal dialog on the native <dialog> element: focus trapped, Escape closes, labelled by its
 * title. On open, focus goes to the element marked `data-autofocus`, else the first field, else
 * the first button of the body: showModal() alone would put it on ×, so that typing then Enter
 * would type nothing and close the dialog.
 */
import { type ReactNode, useEffect, useId, useRef } from "react";

const FIELD =
  "input:not([type=hidden]):not([disabled]):not([readonly]), select:not([disabled]), textarea:not([disabled]):not([readonly])";

/** Where focus starts inside an opened dialog's body. */
export function firstFocus(body: HTMLElement): HTMLElement | null {
  return (
    body.querySelector<HTMLElement>("[data-autofocus]") ??
    body.querySelector<HTMLElement>(FIELD) ??
    body.querySelector<HTMLElement>("button:not([disabled]), a[href]")
  );
}

export function Dialog(props: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
  /** Shown as an alert dialog (a question that needs an answer), as the confirmation is. */
  alert?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const body = useRef<HTMLDivElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    // The dialog leaves the page by unmounting, where close() no longer gives focus back.
    const opener = document.activeElement as HTMLElement | null;
    if (dialog && !dialog.open) dialog.showModal();
    if (body.current) firstFocus(body.current)?.focus();
    return () => {
      dialog?.close();
      // Unless what was done moved focus on purpose (opening a space focuses its composer).
      if (opener?.isConnected && !document.querySelector("#main [data-composer]:focus")) {
        opener.focus();
      }
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={props.wide ? "dialog wide" : "dialog"}
      aria-labelledby={titleId}
      {...(props.alert ? { role: "alertdialog" } : {})}
      onClose={props.onClose}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <header className="dialog-head">
        <h2 id={titleId} dir="auto">
          {props.title}
        </h2>
        <button type="button" className="icon" aria-label="Close" onClick={props.onClose}>
          ×
        </button>
      </header>
      <div ref={body} className="dialog-body">
        {props.children}
      </div>
    </dialog>
  );
}
