/** Small pieces every form of the app repeats: the error line, the button row. */

/** An error, announced to screen readers as it appears; nothing when there is none. */
export function Alert({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <p role="alert" className="error">
      {message}
    </p>
  );
}

/** Cancel (or Back) and the form's submit button, right-aligned. */
export function Actions(props: {
  onCancel: () => void;
  cancel?: string;
  submit: string;
  disabled?: boolean;
}) {
  return (
    <div className="row end">
      <button type="button" onClick={props.onCancel}>
        {props.cancel ?? "Cancel"}
      </button>
      <button type="submit" className="primary" disabled={props.disabled}>
        {props.submit}
      </button>
    </div>
  );
}
