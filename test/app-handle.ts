/** The app's own model of one space (SpaceHandle) on a test person's device. */
import { toHex } from "../core/crypto/bytes.js";
import type { MemberSpace } from "../core/membership/member-space.js";
import { SpaceHandle } from "../renderer/src/model/space-handle.js";
import type { Person } from "./membership-harness.js";

export function handleOf(p: Person, space: MemberSpace): SpaceHandle {
  return new SpaceHandle(
    space,
    p.engine!,
    { user: p.id, device: toHex(p.me.keys.sign.publicKey), name: () => p.me.name },
    () => {},
    async () => {},
  );
}
