/**
 * How a connection's target sets make room (protocol revision 4): before a
 * new set of `incoming` distinct targets is held, the oldest sets go until
 * at most MAX_TARGET_SETS - 1 remain and the new one fits within
 * MAX_TARGET_SET_ENTRIES. The relay applies it and a client mirrors it with
 * this same function, so the two agree on which sets are held by
 * construction.
 */
import { MAX_TARGET_SET_ENTRIES, MAX_TARGET_SETS } from "./frame-types.js";

/** The keys of `held` (oldest first, with their sizes) to forget, oldest first. */
export function setsToForget<K>(
  held: Iterable<readonly [K, number]>,
  count: number,
  entries: number,
  incoming: number,
): K[] {
  const forget: K[] = [];
  let sets = count;
  let keys = entries;
  for (const [key, size] of held) {
    if (sets < MAX_TARGET_SETS && keys + incoming <= MAX_TARGET_SET_ENTRIES) break;
    forget.push(key);
    sets--;
    keys -= size;
  }
  return forget;
}
