/**
 * The target sets one connection defined (TARGET_SET, revision 4): lists of
 * device keys that its SENDs name by id. They live and die with the
 * connection, so a device can never name another's, and their memory is
 * bounded by MAX_TARGET_SETS ids and MAX_TARGET_SET_ENTRIES keys in all.
 */
import { bytesKey } from "../core/crypto/bytes.js";
import { MAX_TARGET_SET_ENTRIES } from "../core/wire/frame-types.js";

export class TargetSets {
  private readonly sets = new Map<number, Uint8Array[]>();
  private entries = 0;

  /**
   * Defines or replaces a set with its distinct targets, copied (a frame's
   * views point into a buffer the socket reuses). False, and nothing
   * changed, when all sets together would list more than the bound.
   */
  define(setId: number, targets: readonly Uint8Array[]): boolean {
    const kept = distinctKeys(targets).map((t) => t.slice());
    const replaced = this.sets.get(setId)?.length ?? 0;
    if (this.entries - replaced + kept.length > MAX_TARGET_SET_ENTRIES) return false;
    this.sets.set(setId, kept);
    this.entries += kept.length - replaced;
    return true;
  }

  /**
   * Forgets every set: after a refused definition the client's picture is
   * wrong, and a SEND naming an old set must fail rather than reach the
   * wrong devices.
   */
  clear(): void {
    this.sets.clear();
    this.entries = 0;
  }

  get(setId: number): Uint8Array[] | undefined {
    return this.sets.get(setId);
  }
}

/** The keys in first-seen order, each once. */
export function distinctKeys(keys: readonly Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const id = bytesKey(k);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
