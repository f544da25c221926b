/**
 * What the UI reads of the client, as one frozen object per change: views
 * subscribe to it (useSyncExternalStore), and nothing they hold can be
 * changed under them or by them.
 */
import { type RecentError, recentErrors } from "../../../core/diagnostics/recent-errors.js";
import type { RelayStatus } from "../../../core/sync/relay-transport.js";
import type { Phase } from "./client-state.js";

export interface ClientSnapshot {
  /** Counts changes; a view memoized on it is rebuilt when it moves. */
  readonly revision: number;
  readonly phase: Phase;
  readonly failure: string | undefined;
  readonly relayStatus: RelayStatus;
  readonly offline: boolean;
  /** Outbox msgIds (hex) as last read. */
  readonly queued: ReadonlySet<string>;
  /** Per target device (hex), how many outbox entries wait. */
  readonly waitingFor: ReadonlyMap<string, number>;
  readonly problem: { readonly what: string; readonly message: string } | undefined;
  /** Background failures, newest first (the Connection panel's debug list). */
  readonly errors: readonly RecentError[];
}

type Source = Omit<ClientSnapshot, "revision" | "errors">;

export function snapshotOf(client: Source, revision: number): ClientSnapshot {
  return Object.freeze({
    revision,
    phase: client.phase,
    failure: client.failure,
    relayStatus: client.relayStatus,
    offline: client.offline,
    queued: client.queued,
    waitingFor: client.waitingFor,
    problem: client.problem,
    errors: recentErrors.list(),
  });
}
