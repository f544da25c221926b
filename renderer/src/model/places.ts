/** Where the other people of a space are, from its whereabouts (presence payload version 2). */
import type { DevicePlace } from "../../../core/membership/whereabouts.js";

export type NamedPlace = DevicePlace & { name: string };

/** Everyone but `me` (a user, hex), one entry per user: their latest-heard device. */
export function othersWhere(
  places: readonly DevicePlace[],
  me: string,
  nameOf: (user: string) => string,
): NamedPlace[] {
  const byUser = new Map<string, DevicePlace>();
  for (const p of places) {
    if (p.user === me) continue;
    const seen = byUser.get(p.user);
    if (!seen || p.heardAt > seen.heardAt) byUser.set(p.user, p);
  }
  return [...byUser.values()].map((p) => ({ ...p, name: nameOf(p.user) }));
}

/** The devices other than `myDevice` (hex) in `note`, with their carets. */
export function caretsOf(
  places: readonly DevicePlace[],
  note: string,
  myDevice: string,
  nameOf: (user: string) => string,
): NamedPlace[] {
  return places
    .filter((p) => p.note === note && p.device !== myDevice)
    .map((p) => ({ ...p, name: nameOf(p.user) }));
}
