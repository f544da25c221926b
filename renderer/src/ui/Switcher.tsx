/**
 * Ctrl/Cmd+K: find a space by name and open it, without the mouse. Arrows move
 * through the matches, Enter opens the highlighted one, Escape goes back.
 */
import { useId, useState } from "react";
import { Dialog } from "./Dialog.js";
import { useClient } from "./hooks.js";

export function SpaceSwitcher(props: { onOpen: (id: string) => void; onClose: () => void }) {
  const client = useClient();
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const listId = useId();
  const words = query.trim().toLocaleLowerCase();
  const matches = client
    .spaceList()
    .filter(({ handle }) => handle.name.toLocaleLowerCase().includes(words));
  const current = Math.min(active, Math.max(0, matches.length - 1));
  const optionId = (i: number) => `${listId}-${i}`;
  return (
    <Dialog title="Switch to a space" onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const pick = matches[current];
          if (pick) props.onOpen(pick.handle.id);
        }}
      >
        <label>
          Space name
          <input
            role="combobox"
            aria-expanded="true"
            aria-controls={listId}
            aria-autocomplete="list"
            {...(matches.length > 0 ? { "aria-activedescendant": optionId(current) } : {})}
            value={query}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => {
              setQuery(e.target.value);
              setActive(0);
            }}
            onKeyDown={(e) => {
              if (e.key === "ArrowDown" || e.key === "ArrowUp") {
                e.preventDefault();
                const step = e.key === "ArrowDown" ? 1 : -1;
                setActive((current + step + matches.length) % Math.max(1, matches.length));
              }
            }}
          />
        </label>
        <div id={listId} role="listbox" aria-label="Spaces" className="switcher-list">
          {matches.map(({ handle, unread }, i) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: the keyboard path is the combobox above
            <div
              key={handle.id}
              id={optionId(i)}
              role="option"
              tabIndex={-1}
              aria-selected={i === current}
              className={i === current ? "active" : undefined}
              onClick={() => props.onOpen(handle.id)}
            >
              <span dir="auto" className="space-name">
                {handle.name}
              </span>
              {unread > 0 && <span className="badge">{unread}</span>}
            </div>
          ))}
          {matches.length === 0 && <p className="muted pad">No space by that name.</p>}
        </div>
      </form>
    </Dialog>
  );
}
