import { type SearchHit, searchSpaces } from "../../../core/space/tools/search.js";
import { shortTime } from "./format.js";
import { useClient } from "./hooks.js";
import type { Tool } from "./SpaceView.js";

/** The tool a hit opens its space on. */
const TOOL_OF: Record<SearchHit["where"], Tool> = {
  chat: "Chat",
  discussion: "Discussion",
  note: "Notes",
  task: "Tasks",
};

export function SearchResults({
  query,
  onOpen,
}: {
  query: string;
  onOpen: (spaceId: string, tool: Tool) => void;
}) {
  const client = useClient();
  const hits = searchSpaces(
    [...client.spaces.values()]
      .filter((h) => h.isMember)
      .map((h) => ({ id: h.id, name: h.name, doc: h.member.space.doc, trust: h.trust })),
    query,
  );
  return (
    <section className="search" aria-labelledby="search-title">
      <h1 id="search-title">Results for “{query}”</h1>
      <ul className="hits">
        {hits.map((h) => (
          <li key={`${h.spaceId}-${h.id}`}>
            <button
              type="button"
              className="hit"
              onClick={() => onOpen(h.spaceId, TOOL_OF[h.where])}
            >
              <span className="muted small">
                {h.spaceName} · {h.where} · {h.name} · {shortTime(h.at)}
              </span>
              <span>{h.text}</span>
            </button>
          </li>
        ))}
        {hits.length === 0 && <li className="muted pad">Nothing found in your spaces.</li>}
      </ul>
    </section>
  );
}
