import { useEffect, useRef } from "react";
import { noted } from "../../../core/diagnostics/recent-errors.js";
import type { ChatMessage } from "../../../core/space/tools/chat.js";
import { desktopShell, type GroveClient } from "../model/client.js";
import type { Notice } from "../model/tool-plugin.js";
import { chatNotice } from "../tools/chat/words.js";
import { taskNotice } from "../tools/tasks/model.js";

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
 * A tool's notice cut to what the preview setting lets it say: all of it,
 * its title with a generic body, or only a neutral line from Grove.
 */
export function previewed(preview: NotificationPreview, notice: Notice): Shown {
  switch (preview) {
    case "off":
      return undefined;
    case "nothing":
      return { title: "Grove", body: notice.neutral };
    case "sender":
      return { title: notice.title, body: notice.generic };
    case "message":
      return { title: notice.title, body: notice.body };
  }
}

/** What the notification of one message says under a preview setting; undefined for none. */
export function notificationFor(
  m: Pick<ChatMessage, "name" | "text" | "deleted">,
  space: string,
  mentioned: boolean,
  preview: NotificationPreview,
): Shown {
  return previewed(preview, chatNotice({ ...m, id: "" }, m.name, space, mentioned));
}

/** What the notification of a task given to this user says under a preview setting. */
export function taskNotificationFor(
  task: { title: string; by: string },
  space: string,
  preview: NotificationPreview,
): Shown {
  return previewed(preview, taskNotice({ ...task, id: "", at: 0 }, space));
}

/** What the notification of someone asking to join a space this user manages says. */
export function joinNotificationFor(
  joiner: string,
  space: string,
  preview: NotificationPreview,
): Shown {
  return previewed(preview, {
    key: `join:${joiner}`,
    urgent: true,
    title: `${joiner} asks to join ${space}`,
    body: "Compare the safety number with them, then confirm or decline on Members.",
    generic: "Asks to join",
    neutral: "Someone asks to join a space",
  });
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
      const shell = desktopShell();
      const web = typeof Notification !== "undefined" && Notification.permission === "granted";
      if (!shell && !web) return;
      const preview = notificationPreview();
      for (const h of client.spaces.values()) {
        if (!h.isMember) continue;
        // Each tool says what is news (messages, mentions, tasks given to this user); a notice
        // that is not urgent tells only about a space not on screen.
        for (const notice of h.notices(since.current)) {
          if (seen.current.has(notice.key)) continue;
          seen.current.add(notice.key);
          const background = document.visibilityState !== "visible" || h.id !== shownSpace;
          if (!background && !notice.urgent) continue;
          const shown = previewed(preview, notice);
          if (shown) new Notification(shown.title, { body: shown.body, tag: notice.key });
        }
        if (!h.canManage) continue;
        for (const p of h.pendingJoins()) {
          const key = `join:${p.id}`;
          if (seen.current.has(key)) continue;
          seen.current.add(key);
          const shown = joinNotificationFor(p.name, h.name, preview);
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
      .catch(noted("SHELL", "showing presence and unread count in the tray"));
  }, [total, presence]);
}
