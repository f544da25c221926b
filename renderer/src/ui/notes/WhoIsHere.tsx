/** Initials of the people somewhere ("Ann is in Notes: Shopping list"), coloured as their carets. */
import { colourOf } from "./caret-awareness.js";

export interface Someone {
  user: string;
  name: string;
  /** What is read out and shown on hover: where they are. */
  where: string;
}

export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const first = words[0];
  const last = words.at(-1);
  const letters = words.length > 1 && first && last ? [first, last] : words;
  // The first code point, not the first UTF-16 unit: a name may start with an emoji.
  const initial = (word: string): string => Array.from(word)[0]?.toUpperCase() ?? "";
  return letters.map(initial).join("") || "?";
}

export function WhoIsHere(props: { people: Someone[]; className?: string }) {
  if (props.people.length === 0) return null;
  return (
    <span className={`who-is-here ${props.className ?? ""}`}>
      {props.people.map((p) => {
        const words = `${p.name} is in ${p.where}`;
        return (
          <span
            key={p.user}
            className="initials"
            style={{ backgroundColor: colourOf(p.user) }}
            title={words}
            role="img"
            aria-label={words}
          >
            {initialsOf(p.name)}
          </span>
        );
      })}
    </span>
  );
}
