/**
 * Which target lists this connection has given the relay as TARGET_SETs
 * (revision 4), so a SEND to the same members names its set in a few bytes
 * instead of listing 32 bytes per device: with 10 targets that is most of a
 * chat line's upload.
 *
 * Ids only increase on a connection (the relay refuses any other), so an id
 * names one list for good: if a definition is lost on the way (refused by a
 * limit), the SEND behind it is refused by name and never reaches an older
 * list. The cache mirrors the relay's room exactly (MAX_TARGET_SETS sets,
 * MAX_TARGET_SET_ENTRIES keys, the oldest making room), so the sets it
 * names are the relay's; after any refusal it forgets them and defines
 * afresh, under new ids.
 */
import { bytesKey, distinctKeys } from "../crypto/bytes.js";
import { MAX_TARGET_SET_ENTRIES, MAX_TARGET_SET_ID } from "../wire/frame-types.js";
import { setsToForget } from "../wire/target-set-room.js";

/** Below this many targets a set saves less than its definition costs. */
const MIN_TARGETS = 2;

export type TargetChoice =
  /** Send the targets listed, as before revision 4. */
  | { kind: "listed" }
  /** Name set `setId`; when `define`, send a TARGET_SET of `targets` first. */
  | { kind: "set"; setId: number; define: boolean; targets: Uint8Array[] };

interface Held {
  setId: number;
  size: number;
}

export class TargetSetCache {
  /** The relay's sets as this connection defined them, oldest first, by the list's key. */
  private readonly held = new Map<string, Held>();
  private entries = 0;
  private nextId = 0;

  /** A new connection: the relay holds nothing, and ids start again. */
  newConnection(): void {
    this.forget();
    this.nextId = 0;
  }

  /**
   * The relay refused a set or a definition: its picture and ours may
   * differ, so every list is defined again, under ids not used before.
   */
  forget(): void {
    this.held.clear();
    this.entries = 0;
  }

  choose(targets: readonly Uint8Array[]): TargetChoice {
    const distinct = distinctKeys(targets);
    if (distinct.length < MIN_TARGETS || distinct.length > MAX_TARGET_SET_ENTRIES) {
      return { kind: "listed" };
    }
    const key = distinct.map(bytesKey).join("|");
    const known = this.held.get(key);
    if (known) return { kind: "set", setId: known.setId, define: false, targets: distinct };
    if (this.nextId > MAX_TARGET_SET_ID) return { kind: "listed" };
    // The relay makes room by the same rule: oldest sets first.
    const sizes = [...this.held].map(([k, held]) => [k, held.size] as const);
    for (const k of setsToForget(sizes, this.held.size, this.entries, distinct.length)) {
      this.entries -= this.held.get(k)?.size ?? 0;
      this.held.delete(k);
    }
    const setId = this.nextId++;
    this.held.set(key, { setId, size: distinct.length });
    this.entries += distinct.length;
    return { kind: "set", setId, define: true, targets: distinct };
  }
}
