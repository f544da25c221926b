import type { Presence } from "../../../core/membership/presence.js";
import { ago } from "./format.js";

export function presenceText(p: Presence): string {
  if (p.status === "online") return "Online";
  if (p.status === "away") return "Away";
  return p.lastSeen ? `Offline, last seen ${ago(p.lastSeen)}` : "Offline";
}

export function PresenceDot({ presence }: { presence: Presence }) {
  return (
    <span
      className={`presence ${presence.status}`}
      role="img"
      aria-label={presenceText(presence)}
    />
  );
}
