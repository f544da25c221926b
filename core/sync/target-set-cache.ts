/**
 * Which target lists this connection has given the relay as TARGET_SETs
 * (revision 4), so a SEND to the same members names its set in one byte
 * instead of listing 32 bytes per device: with 10 targets that is most of a
 * chat line's upload. It mirrors the relay's bounds exactly (MAX_TARGET_SETS
 * ids, MAX_TARGET_SET_ENTRIES keys held), so a definition it makes is never
 * refused; and it starts empty on every connection, as the relay's does.
 */
import { bytesKey } from "../crypto/bytes.js";
import { MAX_TARGET_SET_ENTRIES, MAX_TARGET_SETS } from "../wire/frame-types.js";

/** Below this many targets a set saves less than its definition costs. */
const MIN_TARGETS = 2;

export type TargetChoice =
  /** Send the targets listed, as before revision 4. */
  | { kind: "listed" }
  /** Name set `setId`; when `define`, send the TARGET_SET first. */
  | { kind: "set"; setId: number; define: boolean };

export class TargetSetCache {
  /** Set id by the list's key, least recently used first. */
  private readonly idOf = new Map<string, number>();
  /** Distinct keys each id holds at the relay (replaced, never deleted, within a connection). */
  private readonly held = new Map<number, number>();
  private entries = 0;

  /** A new connection, or a relay that lost track: nothing is defined. */
  reset(): void {
    this.idOf.clear();
    this.held.clear();
    this.entries = 0;
  }

  choose(targets: readonly Uint8Array[]): TargetChoice {
    const keys = targets.map(bytesKey);
    if (keys.length < MIN_TARGETS) return { kind: "listed" };
    const key = keys.join("|");
    const known = this.idOf.get(key);
    if (known !== undefined) {
      this.idOf.delete(key);
      this.idOf.set(key, known);
      return { kind: "set", setId: known, define: false };
    }
    const size = new Set(keys).size;
    const setId = this.freeId() ?? this.leastRecent();
    if (setId === undefined) return { kind: "listed" };
    const replaced = this.held.get(setId) ?? 0;
    if (this.entries - replaced + size > MAX_TARGET_SET_ENTRIES) return { kind: "listed" };
    for (const [k, id] of this.idOf) {
      if (id === setId) this.idOf.delete(k);
    }
    this.idOf.set(key, setId);
    this.held.set(setId, size);
    this.entries += size - replaced;
    return { kind: "set", setId, define: true };
  }

  private freeId(): number | undefined {
    for (let id = 0; id < MAX_TARGET_SETS; id++) if (!this.held.has(id)) return id;
    return undefined;
  }

  private leastRecent(): number | undefined {
    for (const id of this.idOf.values()) return id;
    return undefined;
  }
}
