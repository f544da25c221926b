/**
 * The last line: an exception or rejection that escaped every handler is
 * logged and counted instead of ending the process (and every mailbox,
 * /v1 and /signal connection with it). Handlers are isolated on their own,
 * so anything arriving here is a bug to find in the logs, not a way in.
 */
export type EscapeKind = "exception" | "rejection";

export function installProcessGuard(
  onEscape: (kind: EscapeKind, error: unknown) => void,
): () => void {
  const onException = (err: unknown) => onEscape("exception", err);
  const onRejection = (err: unknown) => onEscape("rejection", err);
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
}
