/** The count of join requests waiting for this manager, on the space in the sidebar and on its Members tab. */
export function JoinBadge({ count }: { count: number }) {
  if (count === 0) return null;
  // The space keeps the count apart from the label it follows in the accessible name.
  return (
    <>
      {" "}
      <span className="badge join-badge">
        {count}
        <span className="sr-only"> waiting to join</span>
      </span>
    </>
  );
}

/** The count of messages not read yet, on a space wherever it is listed. */
export function UnreadBadge({ count }: { count: number }) {
  if (count === 0) return null;
  return (
    <span className="badge">
      {count}
      <span className="sr-only"> unread</span>
    </span>
  );
}
