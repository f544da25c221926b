/**
 * Local search across the user's spaces: every tool of every space the user
 * is a member of is asked for items containing every word of the query,
 * case- and accent-insensitively (core's `fold`). Everything is already on
 * the device, so a linear scan answers within a frame; names are the
 * membership's, and records their authors did not sign are not found.
 */
import { fold, MAX_HITS } from "../../../core/space/tools/search.js";
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
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const matches = (text: string) => {
    const folded = fold(text);
    return words.every((w) => folded.includes(w));
  };
  const hits: SearchResult[] = [];
  for (const h of handles) {
    if (!h.isMember) continue;
    for (const hit of h.search(matches)) hits.push({ ...hit, spaceId: h.id, spaceName: h.name });
  }
  return hits.sort((a, b) => b.at - a.at).slice(0, limit);
}
