/**
 * Members who have not been heard from (issue 17): none of their devices has
 * acknowledged anything for a while although messages wait for them. Shown
 * to managers on Members, with how long and how much waits, a reminder to
 * copy and Remove at hand. The threshold is a setting per space on this
 * device (Groove's 21 days by default).
 */
import { useEffect, useState } from "react";
import type { SpaceHandle } from "../model/space-handle.js";
import { chatTool } from "../tools/chat/index.js";

const DEFAULT_DAYS = 21;
const CHOICES = [7, 14, 21, 30, 60];
const DAY_MS = 24 * 3600_000;
const keyOf = (space: string) => `grove.staleAfterDays.${space}`;

function savedDays(space: string): number {
  const n = Number(localStorage.getItem(keyOf(space)));
  return CHOICES.includes(n) ? n : DEFAULT_DAYS;
}

/** Re-renders each minute: staleness moves with the clock, not with the doc. */
function useMinuteTick(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

const CHANGED = "grove-stale-days";

/** The space's threshold on this device; every part of Members showing it follows a change. */
function useStaleDays(space: string): [number, (n: number) => void] {
  const [days, setDays] = useState(() => savedDays(space));
  useEffect(() => {
    const follow = () => setDays(savedDays(space));
    window.addEventListener(CHANGED, follow);
    return () => window.removeEventListener(CHANGED, follow);
  }, [space]);
  const choose = (n: number) => {
    localStorage.setItem(keyOf(space), String(n));
    window.dispatchEvent(new Event(CHANGED));
  };
  return [days, choose];
}

/**
 * `part` "flags": the card of members not heard from, first on Members, or nothing; "setting":
 * the threshold alone, quietly below the list, while nobody is flagged.
 */
export function StaleMembers({
  handle,
  remove,
  part,
}: {
  handle: SpaceHandle;
  /** Asks to remove a member, as the member list does. */
  remove: (m: { user: string; name: string }) => void;
  part: "flags" | "setting";
}) {
  const [days, choose] = useStaleDays(handle.id);
  const [copied, setCopied] = useState<string>();
  useMinuteTick();
  const stale = handle.tool(chatTool).staleMembers(days, Date.now());
  const reminder = (name: string, waiting: number, since: number) =>
    `Hi ${name}, ${waiting === 1 ? "a message waits" : `${waiting} messages wait`} for you in "${handle.name}" on Grove since ${longDate(since)}. Open Grove to catch up; if you no longer use this device, tell me and I will invite your new one.`;

  const setting = (
    <label className="small stale-setting">
      Flag members whose devices acknowledged nothing for{" "}
      <select value={days} onChange={(e) => choose(Number(e.target.value))}>
        {CHOICES.map((n) => (
          <option key={n} value={n}>
            {n} days
          </option>
        ))}
      </select>
    </label>
  );
  if (part === "setting") return stale.length === 0 ? <div className="muted">{setting}</div> : null;
  if (stale.length === 0) return null;

  return (
    <section aria-labelledby="stale-title" className="card stale-members">
      <h2 id="stale-title">Not heard from</h2>
      {setting}
      <ul className="member-list">
        {stale.map((m) => {
          const silent = Math.floor((Date.now() - m.since) / DAY_MS);
          return (
            <li key={m.user} className="member stale">
              <div className="grow">
                <strong>{m.name}</strong>
                <div className="small">
                  Nothing acknowledged for {silent} days ·{" "}
                  {m.waiting === 1 ? "1 message waits" : `${m.waiting} messages wait`} for them
                </div>
              </div>
              <button
                type="button"
                aria-label={`Copy a reminder for ${m.name}`}
                onClick={async () => {
                  try {
                    await navigator.clipboard.writeText(reminder(m.name, m.waiting, m.since));
                    setCopied(`Reminder for ${m.name} copied.`);
                  } catch {
                    setCopied("Copying was refused by the browser.");
                  }
                }}
              >
                Copy a reminder
              </button>
              <button
                type="button"
                aria-label={`Remove ${m.name} (not heard from)`}
                onClick={() => remove(m)}
              >
                Remove
              </button>
            </li>
          );
        })}
      </ul>
      {copied && (
        <p role="status" className="muted small">
          {copied}
        </p>
      )}
    </section>
  );
}

function longDate(at: number): string {
  return new Date(at).toLocaleDateString(undefined, { dateStyle: "long" });
}
