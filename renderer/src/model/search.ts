/**
 * Local search across the user's spaces: every tool of every space the user
 * is a member of is asked for items containing every word of the query,
 * case- and accent-insensitively (core's `matcherOf`). Everything is already on
 * the device, so a linear scan answers within a frame; names are the
 * membership's, and records their authors did not sign are not found.
 */
import { MAX_HITS, matcherOf } from "../../../core/space/tools/search.js";
import type { SpaceHandle, SpaceHit } from "./space-handle.js";

export interface SearchResult extends SpaceHit {
  readonly spaceId: string;
  readonly spaceName: string;
}

export function searchSpaces(
  handles: Iterable<SpaceHandle>,
  query: string,
  limit = MAX_HITS,
): SearchResult[] {
  const matches = matcherOf(query);
  if (!matches) return [];
  const hits: SearchResult[] = [];
  for (const h of handles) {
    if (!h.isMember) continue;
    for (const hit of h.search(matches)) hits.push({ ...hit, spaceId: h.id, spaceName: h.name });
  }
  return hits.sort((a, b) => b.at - a.at).slice(0, limit);
}
