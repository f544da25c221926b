import { useEffect, useRef } from "react";
import { desktopShell, type GroveClient } from "../model/client.js";

/**
 * New messages in spaces not on screen (or any, with the window hidden)
 * become notifications, mentions always; only messages that arrive while
 * the app runs, never history being caught up. The Electron shell maps the
 * web Notification API to native notifications.
 */
export function useNotifications(client: GroveClient, shownSpace: string | undefined) {
  const seen = useRef(new Set<string>());
  const since = useRef(Date.now());
  useEffect(() => {
    const check = () => {
      const shell = desktopShell();
      const web = typeof Notification !== "undefined" && Notification.permission === "granted";
      if (!shell && !web) return;
      for (const h of client.spaces.values()) {
        if (!h.isMember) continue;
        for (const m of h.messages().slice(-20)) {
          if (m.at < since.current || m.author === client.myUser || seen.current.has(m.id))
            continue;
          seen.current.add(m.id);
          const background = document.visibilityState !== "visible" || h.id !== shownSpace;
          const mentioned = m.mentions.includes(client.myUser);
          if (!background && !mentioned) continue;
          new Notification(
            mentioned ? `${m.name} mentioned you in ${h.name}` : `${m.name} in ${h.name}`,
            {
              body: m.deleted ? "" : m.text.slice(0, 200),
              tag: m.id,
            },
          );
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
    void shell?.setBadgeCount(total).catch(() => {});
    void shell?.setTrayStatus({ presence, unread: total }).catch(() => {});
  }, [total, presence]);
}
