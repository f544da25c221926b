import { fold } from "../../../core/space/tools/search.js";
import { searchSpaces } from "../model/search.js";
import { shortTime } from "./format.js";
import { useClient } from "./hooks.js";
import { TOOLS, type Tool } from "./route.js";

/** The tab a hit opens its space on (the hit names its tool's label). */
const toolOf = (label: string): Tool => TOOLS.find((t) => t === label) ?? "Chat";

export function SearchResults({
  query,
  onOpen,
}: {
  query: string;
  onOpen: (spaceId: string, tool: Tool) => void;
}) {
  const client = useClient();
  const hits = searchSpaces(client.spaces.values(), query);
  return (
    <section className="search" aria-labelledby="search-title">
      <h1 id="search-title">Results for “{query}”</h1>
      <ul className="hits">
        {hits.map((h) => (
          <li key={`${h.spaceId}-${h.id}`}>
            <button type="button" className="hit" onClick={() => onOpen(h.spaceId, toolOf(h.tool))}>
              <span className="muted small">
                <bdi>{h.spaceName}</bdi> · {h.tool} · <bdi>{h.name}</bdi> · {shortTime(h.at)}
              </span>
              <span dir="auto">
                <Highlight text={h.text} words={query} />
              </span>
            </button>
          </li>
        ))}
        {hits.length === 0 && <li className="muted pad">Nothing found in your spaces.</li>}
      </ul>
    </section>
  );
}

/** `text` with each occurrence of any of the searched words marked (case and accents aside). */
export function Highlight({ text, words }: { text: string; words: string }) {
  const pieces = highlightPieces(text, words);
  return (
    <>
      {pieces.map((p, i) =>
        // biome-ignore lint/suspicious/noArrayIndexKey: pieces of one string, in order, never reordered
        p.match ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>,
      )}
    </>
  );
}

/**
 * Splits `text` at the searched words, matched as search matches them (case and accents
 * folded: "creme" marks "Crème"); the marks cover the original characters.
 */
export function highlightPieces(text: string, words: string): { text: string; match: boolean }[] {
  const terms = fold(words)
    .split(/\s+/)
    .filter((w) => w.length > 0);
  // The folded text, and for each of its positions the original position it came from.
  let folded = "";
  const from: number[] = [];
  let i = 0;
  for (const ch of text) {
    const f = fold(ch);
    for (let k = 0; k < f.length; k++) from.push(i);
    folded += f;
    i += ch.length;
  }
  from.push(text.length);
  const marked = new Array<boolean>(text.length).fill(false);
  for (const t of terms) {
    for (let at = folded.indexOf(t); at !== -1; at = folded.indexOf(t, at + 1)) {
      const start = from[at] ?? text.length;
      const end = from[at + t.length] ?? text.length;
      for (let k = start; k < end; k++) marked[k] = true;
    }
  }
  const pieces: { text: string; match: boolean }[] = [];
  for (let k = 0; k < text.length; k++) {
    const last = pieces.at(-1);
    const ch = text.charAt(k);
    const match = marked[k] === true;
    if (last && last.match === match) last.text += ch;
    else pieces.push({ text: ch, match });
  }
  return pieces;
}
