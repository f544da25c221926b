import { useEffect, useRef } from "react";
import { noted } from "../../../core/diagnostics/recent-errors.js";
import type { ChatMessage } from "../../../core/space/tools/chat.js";
import { newlyAssigned } from "../../../core/space/tools/tasks.js";
import { desktopShell, type GroveClient } from "../model/client.js";

/**
 * How much a notification tells, for anyone who can see the screen or the
 * lock screen: a setting of this device, like the theme.
 */
export type NotificationPreview = "message" | "sender" | "nothing" | "off";

export const PREVIEW_CHOICES: { value: NotificationPreview; label: string }[] = [
  { value: "message", label: "Name and message" },
  { value: "sender", label: "Name only" },
  { value: "nothing", label: "No name or message" },
  { value: "off", label: "Off" },
];

const PREVIEW_KEY = "grove.notificationPreview";

export function notificationPreview(): NotificationPreview {
  const saved = localStorage.getItem(PREVIEW_KEY);
  return PREVIEW_CHOICES.some((c) => c.value === saved)
    ? (saved as NotificationPreview)
    : "message";
}

export function setNotificationPreview(preview: NotificationPreview): void {
  localStorage.setItem(PREVIEW_KEY, preview);
}

type Shown = { title: string; body: string } | undefined;

/**
 * A notification cut to what the preview setting lets it say: all of it,
 * its title with a generic body, or only a neutral line from Grove.
 */
function previewed(
  preview: NotificationPreview,
  full: NonNullable<Shown>,
  generic: string,
  neutral: string,
): Shown {
  switch (preview) {
    case "off":
      return undefined;
    case "nothing":
      return { title: "Grove", body: neutral };
    case "sender":
      return { title: full.title, body: generic };
    case "message":
      return full;
  }
}

/** What the notification of one message says under a preview setting; undefined for none. */
export function notificationFor(
  m: Pick<ChatMessage, "name" | "text" | "deleted">,
  space: string,
  mentioned: boolean,
  preview: NotificationPreview,
): Shown {
  const title = mentioned ? `${m.name} mentioned you in ${space}` : `${m.name} in ${space}`;
  const body = m.deleted ? "" : m.text.slice(0, 200);
  return previewed(
    preview,
    { title, body },
    "New message",
    mentioned ? "You were mentioned" : "New message",
  );
}

/** What the notification of a task given to this user says under a preview setting. */
export function taskNotificationFor(
  task: { title: string; by: string },
  space: string,
  preview: NotificationPreview,
): Shown {
  const title = `${task.by} gave you a task in ${space}`;
  return previewed(preview, { title, body: task.title }, "New task", "You have a new task");
}

/** What the notification of someone asking to join a space this user manages says. */
export function joinNotificationFor(
  joiner: string,
  space: string,
  preview: NotificationPreview,
): Shown {
  return previewed(
    preview,
    {
      title: `${joiner} asks to join ${space}`,
      body: "Compare the safety number with them, then confirm or decline on Members.",
    },
    "Asks to join",
    "Someone asks to join a space",
  );
}

/**
 * New messages in spaces not on screen (or any, with the window hidden)
 * become notifications, mentions and tasks given to this user always; only messages that arrive while
 * the app runs, never history being caught up, and only as much as the
 * preview setting lets them say. A join request waiting for this manager
 * tells them once per run wherever they are: someone is waiting on them,
 * and the badge alone is missed with the window hidden. The Electron shell maps the web
 * Notification API to native notifications.
 */
export function useNotifications(client: GroveClient, shownSpace: string | undefined) {
  const seen = useRef(new Set<string>());
  const since = useRef(Date.now());
  useEffect(() => {
    const check = () => {
      // Asked only once there is something to tell: reading the permission is a round trip to
      // the browser, and this runs at every change (every frame of a catch-up).
      let allowed: boolean | undefined;
      const canNotify = () =>
        (allowed ??=
          desktopShell() !== undefined ||
          (typeof Notification !== "undefined" && Notification.permission === "granted"));
      let chosen: NotificationPreview | undefined;
      const preview = () => (chosen ??= notificationPreview());
      for (const h of client.spaces.values()) {
        if (!h.isMember) continue;
        for (const m of h.messages().slice(-20)) {
          if (m.at < since.current || m.author === client.myUser || seen.current.has(m.id))
            continue;
          if (!canNotify()) return;
          seen.current.add(m.id);
          const background = document.visibilityState !== "visible" || h.id !== shownSpace;
          const mentioned = m.mentions.includes(client.myUser);
          if (!background && !mentioned) continue;
          // The sender as the membership names them, not as the record names itself.
          const shown = notificationFor(
            { ...m, name: h.nameOf(m.author) },
            h.name,
            mentioned,
            preview(),
          );
          if (shown) new Notification(shown.title, { body: shown.body, tag: m.id });
        }
        // A task given to this user tells them wherever they are, like a mention.
        for (const t of newlyAssigned(h.tasks(), client.myUser, since.current)) {
          const assigned = t.assigned;
          if (!assigned) continue;
          const key = `task:${t.id}:${assigned.at}`;
          if (seen.current.has(key)) continue;
          if (!canNotify()) return;
          seen.current.add(key);
          const shown = taskNotificationFor(
            { title: t.title, by: assigned.name },
            h.name,
            preview(),
          );
          if (shown) new Notification(shown.title, { body: shown.body, tag: key });
        }
        if (!h.canManage) continue;
        for (const p of h.pendingJoins()) {
          const key = `join:${p.id}`;
          if (seen.current.has(key)) continue;
          if (!canNotify()) return;
          seen.current.add(key);
          const shown = joinNotificationFor(p.name, h.name, preview());
          if (shown) new Notification(shown.title, { body: shown.body, tag: key });
        }
      }
    };
    client.on("change", check);
    return () => client.off("change", check);
  }, [client, shownSpace]);
}

/** The desktop shell's badge (dock, taskbar) and tray show the unread count and my presence. */
export function useBadge(client: GroveClient) {
  const ready = client.phase === "ready";
  const total = ready ? client.spaceList().reduce((n, s) => n + s.unread, 0) : 0;
  const presence = !ready || client.offline ? "offline" : client.myStatus;
  useEffect(() => {
    const shell = desktopShell();
    void shell?.setBadgeCount(total).catch(noted("SHELL", "showing the unread count on the badge"));
    void shell
      ?.setTrayStatus({ presence, unread: total })
      .catch(noted("SHELL", "showing the status in the tray"));
  }, [total, presence]);
}
