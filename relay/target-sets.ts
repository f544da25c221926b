/**
 * The target sets one connection defined (TARGET_SET, revision 4): lists of
 * device keys that its SENDs name by id. They live and die with the
 * connection, so a device can never name another's. Ids strictly increase,
 * so an id names one list for the connection's life: a SEND naming a set
 * whose definition never arrived (refused, dropped by a rate or size limit)
 * finds nothing and is refused, instead of reaching an older list. Memory
 * is bounded by MAX_TARGET_SETS sets and MAX_TARGET_SET_ENTRIES keys: the
 * oldest sets make room for a new one, which costs a client that still
 * names them one refusal and a new definition, never a misdelivery.
 */
import { bytesKey, distinctKeys } from "../core/crypto/bytes.js";
import { setsToForget } from "../core/wire/target-set-room.js";

export class TargetSets {
  /** Oldest first: ids increase, and a Map keeps insertion order. */
  private readonly sets = new Map<number, Uint8Array[]>();
  /**
   * Each set's map keys (bytesKey), made once at its definition: every SEND
   * naming the set needs them, and a fan-out's tens of distinct keys miss
   * bytesKey's few remembered ones, so each would cost a new string per send.
   */
  private readonly keyLists = new Map<number, string[]>();
  private entries = 0;
  private lastId = -1;

  /**
   * Defines set `setId` with its distinct targets, copied (a frame's views
   * point into a buffer the socket reuses). False when the id is not above
   * every id defined before on this connection: nothing is defined, and a
   * set still held under that id is forgotten, so a SEND naming it fails.
   */
  define(setId: number, targets: readonly Uint8Array[]): boolean {
    if (setId <= this.lastId) {
      this.forget(setId);
      return false;
    }
    this.lastId = setId;
    const kept = distinctKeys(targets).map((t) => t.slice());
    const sizes = [...this.sets].map(([id, held]) => [id, held.length] as const);
    for (const id of setsToForget(sizes, this.sets.size, this.entries, kept.length)) {
      this.forget(id);
    }
    this.sets.set(setId, kept);
    this.keyLists.set(setId, kept.map(bytesKey));
    this.entries += kept.length;
    return true;
  }

  /**
   * A definition refused (say, over the send rate): its id is used up with
   * nothing under it, so a SEND naming it is refused by name.
   */
  spend(setId: number): void {
    this.forget(setId);
    this.lastId = Math.max(this.lastId, setId);
  }

  get(setId: number): Uint8Array[] | undefined {
    return this.sets.get(setId);
  }

  /** Set `setId`'s keys as bytesKey gives them, in the order of `get`'s targets. */
  keys(setId: number): string[] | undefined {
    return this.keyLists.get(setId);
  }

  /** How many keys the held sets list together (for tests and metrics). */
  get size(): { sets: number; entries: number } {
    return { sets: this.sets.size, entries: this.entries };
  }

  private forget(setId: number): void {
    const held = this.sets.get(setId);
    if (!held) return;
    this.sets.delete(setId);
    this.keyLists.delete(setId);
    this.entries -= held.length;
  }
}
