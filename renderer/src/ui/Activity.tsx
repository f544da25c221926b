/**
 * Activity across spaces: what others did since you last looked here, each
 * item opening its space on its tool. Read from this device's replica only.
 * "Last looked" is this device's: the moment this view was last left.
 */
import { useEffect, useState } from "react";
import { shortTime } from "./format.js";
import { useClient } from "./hooks.js";
import { TOOLS, type Tool } from "./route.js";

const SEEN_KEY = "grove.activitySeen";
/** With no visit yet, a week back. */
const FIRST_LOOK_MS = 7 * 24 * 3600_000;

function seenKey(user: string): string {
  return `${SEEN_KEY}.${user}`;
}

export function Activity({ onOpen }: { onOpen: (spaceId: string, tool: Tool) => void }) {
  const client = useClient();
  const user = client.myUser;
  // Read once per visit; the visit's end is the next visit's start.
  const [since] = useState(() => {
    const stored = Number(localStorage.getItem(seenKey(user)));
    return Number.isFinite(stored) && stored > 0 ? stored : Date.now() - FIRST_LOOK_MS;
  });
  useEffect(() => () => localStorage.setItem(seenKey(user), String(Date.now())), [user]);
  const spaces = [...client.spaces.values()]
    .filter((h) => h.isMember)
    .map((h) => ({ handle: h, items: h.activity(since) }))
    .flatMap((s) => {
      // Items come newest first: the first says when the space last had news.
      const newest = s.items[0];
      return newest ? [{ ...s, at: newest.at }] : [];
    })
    .sort((a, b) => b.at - a.at);
  return (
    <section className="activity" aria-labelledby="activity-title">
      <h1 id="activity-title">Activity</h1>
      <p className="muted">
        Since you last looked, {shortTime(since)}: what others did, newest first.
      </p>
      {spaces.length === 0 && <p className="muted pad">Nothing new in your spaces.</p>}
      {spaces.map(({ handle, items }) => (
        <section key={handle.id} aria-label={handle.name} className="activity-space">
          <h2>{handle.name}</h2>
          <ul className="hits">
            {items.map((item) => (
              <li key={item.key}>
                <button
                  type="button"
                  className="hit"
                  onClick={() => onOpen(handle.id, toolOf(item.tool))}
                >
                  <span className="muted small">
                    {item.tool} · {shortTime(item.at)}
                  </span>
                  <span>{item.text}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </section>
  );
}

/** The tab an item opens (items name their tool's label, or "Members"). */
const toolOf = (label: string): Tool => TOOLS.find((t) => t === label) ?? "Chat";
