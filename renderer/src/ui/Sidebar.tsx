import { useEffect, useState } from "react";
import { noted } from "../../../core/diagnostics/recent-errors.js";
import { desktopShell } from "../model/client.js";
import { NARROW } from "./drawer.js";
import { ago } from "./format.js";
import { useClient } from "./hooks.js";
import { JoinBadge, UnreadBadge } from "./JoinBadge.js";
import {
  type NotificationPreview,
  notificationPreview,
  PREVIEW_CHOICES,
  setNotificationPreview,
} from "./notifications.js";
import type { View } from "./route.js";
import type { Theme } from "./theme.js";

const RELAY_TEXT: Record<string, string> = {
  online: "Relay connected",
  connecting: "Connecting to relay…",
  authenticating: "Connecting to relay…",
  offline: "Relay unreachable",
  idle: "Not connected",
  stopped: "Offline",
};

export function Sidebar(props: {
  view: View;
  onView: (v: View) => void;
  /** Words typed into search (trimmed, never empty). */
  onSearch: (query: string) => void;
  /** Search emptied or escaped: back to where it started. */
  onSearchEnd: () => void;
  onShortcuts: () => void;
  onNewSpace: () => void;
  onJoin: () => void;
  onLinkDevice: () => void;
  theme: Theme;
  onTheme: (t: Theme) => void;
}) {
  const client = useClient();
  const [query, setQuery] = useState(props.view.kind === "search" ? props.view.query : "");
  // Leaving the results (a hit opened, back, another place) empties the box, as Slack does.
  const searching = props.view.kind === "search";
  useEffect(() => {
    if (!searching) setQuery("");
  }, [searching]);
  const [notify, setNotify] = useState(() =>
    typeof Notification === "undefined" ? "denied" : Notification.permission,
  );
  const spaces = client.spaceList();
  const status = client.offline
    ? "Offline"
    : (RELAY_TEXT[client.relayStatus] ?? client.relayStatus);
  const myStatus = client.myStatus;
  const catchUp = [...client.spaces.values()].reduce((n, h) => n + (h.catchingUp() ?? 0), 0);
  const active = props.view.kind === "space" ? props.view.id : undefined;
  // The moment the space list is first usable: what `npm run bench -- app` times from launch.
  useEffect(() => {
    if (performance.getEntriesByName("grove:interactive").length === 0) {
      performance.mark("grove:interactive", { detail: { spaces: client.spaces.size } });
    }
  }, [client]);

  return (
    <nav className="sidebar" aria-label="Spaces and people">
      <div className="brand" aria-hidden="true">
        Grove
      </div>
      <div className="me">
        <div>
          <strong dir="auto">{client.profile?.name}</strong>
          <div className="muted small">{client.profile?.deviceName}</div>
        </div>
        <label className="sr-only" htmlFor="my-status">
          My status
        </label>
        <select
          id="my-status"
          value={myStatus}
          onChange={(e) => {
            const status = e.target.value as "online" | "away";
            void client.attempt("Changing your status", () => client.setStatus(status));
          }}
        >
          <option value="online">Online</option>
          <option value="away">Away</option>
        </select>
      </div>
      <form
        aria-label="Search"
        onSubmit={(e) => {
          e.preventDefault();
          if (query.trim()) props.onSearch(query.trim());
        }}
      >
        <label className="sr-only" htmlFor="search">
          Search messages, discussions, notes and tasks
        </label>
        <input
          id="search"
          type="search"
          dir="auto"
          placeholder="Search"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            // In the narrow window's drawer, results would open behind it: Enter searches there.
            if (matchMedia(NARROW).matches) return;
            if (e.target.value.trim()) props.onSearch(e.target.value.trim());
            else props.onSearchEnd();
          }}
          onKeyDown={(e) => {
            // Escape empties the box and goes back (the browser's own clearing does not).
            // With nothing to clear, Escape goes on (it closes the narrow window's drawer).
            if (e.key !== "Escape" || (!query && props.view.kind !== "search")) return;
            e.preventDefault();
            e.stopPropagation();
            setQuery("");
            props.onSearchEnd();
          }}
        />
      </form>
      <div className="section-head">
        <h2>Spaces</h2>
        <button
          type="button"
          className="icon"
          aria-label="Create a space"
          onClick={props.onNewSpace}
        >
          +
        </button>
      </div>
      <ul className="space-list">
        {spaces.map(({ handle, unread, lastActivity }) => (
          <li key={handle.id}>
            <button
              type="button"
              className={active === handle.id ? "space-item active" : "space-item"}
              aria-current={active === handle.id ? "page" : undefined}
              onClick={() => props.onView({ kind: "space", id: handle.id })}
            >
              <span className="space-name" dir="auto">
                {handle.name}
              </span>
              <span className="space-meta">
                {lastActivity > 0 && <span className="muted small">{ago(lastActivity)}</span>}
                <JoinBadge count={handle.waitingForMe()} />
                <UnreadBadge count={unread} />
              </span>
            </button>
          </li>
        ))}
        {spaces.length === 0 && <li className="muted small pad">No spaces yet.</li>}
      </ul>
      <button type="button" className="link" onClick={props.onJoin}>
        Join with a link
      </button>
      {catchUp > 0 && (
        <p className="catching-up small" role="status">
          Catching up: {catchUp.toLocaleString()} changes received
        </p>
      )}
      <div className="sidebar-foot">
        <button
          type="button"
          className={props.view.kind === "activity" ? "nav active" : "nav"}
          onClick={() => props.onView({ kind: "activity" })}
        >
          Activity
        </button>
        <button
          type="button"
          className={props.view.kind === "buddies" ? "nav active" : "nav"}
          onClick={() => props.onView({ kind: "buddies" })}
        >
          Buddies
        </button>
        <button
          type="button"
          className={props.view.kind === "status" ? "nav active" : "nav"}
          onClick={() => props.onView({ kind: "status" })}
          aria-label={`Connection: ${status}`}
        >
          <span
            className={`dot ${client.relayStatus === "online" && !client.offline ? "ok" : "bad"}`}
            aria-hidden
          />
          {status}
        </button>
        {typeof Notification !== "undefined" && notify === "default" && (
          <button
            type="button"
            className="nav"
            onClick={() => void Notification.requestPermission().then(setNotify)}
          >
            Turn on notifications
          </button>
        )}
        {(notify === "granted" || desktopShell()) && <PreviewSetting />}
        {desktopShell() && <StartMinimized />}
        {client.canLinkDevices && (
          <button type="button" className="nav" onClick={props.onLinkDevice}>
            Link a device
          </button>
        )}
        <button type="button" className="nav" onClick={props.onShortcuts}>
          Keyboard shortcuts
        </button>
        <button
          type="button"
          className="nav"
          onClick={() => props.onTheme(props.theme === "dark" ? "light" : "dark")}
        >
          {props.theme === "dark" ? "Light theme" : "Dark theme"}
        </button>
      </div>
    </nav>
  );
}

/** How much a notification shows (a setting of this device). */
function PreviewSetting() {
  const [preview, setPreview] = useState(notificationPreview);
  return (
    <label className="nav setting">
      Notifications{" "}
      <select
        value={preview}
        onChange={(e) => {
          const next = e.target.value as NotificationPreview;
          setNotificationPreview(next);
          setPreview(next);
        }}
      >
        {PREVIEW_CHOICES.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The desktop shell's setting: open hidden in the tray at launch. */
function StartMinimized() {
  const [on, setOn] = useState<boolean>();
  useEffect(() => {
    void desktopShell()
      ?.getStartMinimized()
      .then(setOn)
      .catch(noted("SHELL", "reading the start-minimized setting"));
  }, []);
  if (on === undefined) return null;
  return (
    <label className="nav check">
      <input
        type="checkbox"
        checked={on}
        onChange={(e) => {
          const next = e.target.checked;
          setOn(next);
          void desktopShell()
            ?.setStartMinimized(next)
            .catch(() => setOn(!next));
        }}
      />
      Start minimized to tray
    </label>
  );
}
