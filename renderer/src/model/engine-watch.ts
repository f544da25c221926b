/**
 * What the client follows of a running engine: the relay link's status and
 * the route for the Connection panel, full relay mailboxes and the relay's
 * offer, and the engine's own errors. Nobody awaits a delivery, so a failed
 * one (DELIVERY_FAILED, OUTBOX_FAILED, BAD_FRAME, HANDSHAKE_TIMEOUT, a
 * relay's ERROR frame) goes to the recent-errors list under its own code.
 */
import { recentErrors } from "../../../core/diagnostics/recent-errors.js";
import type { AppSyncEngine } from "../../../core/sync/links.js";
import type { RelayStatus } from "../../../core/sync/relay-transport.js";

export interface EngineWatcher {
  status(status: RelayStatus): void;
  changed(): void;
}

/** Starts following `engine`; returns what stops it (the session ended). */
export function watchEngine(engine: AppSyncEngine, watcher: EngineWatcher): () => void {
  const onStatus = (status: RelayStatus) => {
    watcher.status(status);
    watcher.changed();
  };
  const onChange = () => watcher.changed();
  const onError = (err: Error & { code?: string }) =>
    recentErrors.note("SYNC_ENGINE", `keeping spaces in sync (${err.code ?? err.name})`, err);
  engine.on("relayStatus", onStatus);
  engine.on("route", onChange);
  engine.on("error", onError);
  // A member whose relay mailbox is full is no longer retried: the panel says so.
  engine.relay?.on("fullTargets", onChange);
  engine.relay?.on("info", onChange);
  return () => {
    engine.off("relayStatus", onStatus);
    engine.off("route", onChange);
    engine.off("error", onError);
    engine.relay?.off("fullTargets", onChange);
    engine.relay?.off("info", onChange);
  };
}
