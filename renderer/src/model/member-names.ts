/**
 * Names as the membership gives them, never as a record states them: a
 * record's own name field is the writer's to choose, so a member could name
 * itself after someone else. A current member is named as the membership
 * state has them; someone who has left by the name their accepted create or
 * join op gave (every member holds the whole log, so who wrote what keeps a
 * name after its author is gone).
 */
import { toHex } from "../../../core/crypto/bytes.js";
import { displayName } from "../../../core/membership/display-name.js";
import type { MembershipLog } from "../../../core/membership/membership-log.js";
import type { MembershipState } from "../../../core/membership/resolve.js";

/** Shown for a user no op of the space names (a record from outside the membership). */
export const UNKNOWN_NAME = "Unknown member";

export class MemberNames {
  private past: { state: MembershipState; names: Map<string, string> } | undefined;

  constructor(private readonly log: MembershipLog) {}

  nameOf(user: string): string {
    const state = this.log.state;
    return state.members.get(user)?.name ?? this.former(state).get(user) ?? UNKNOWN_NAME;
  }

  /** Names from accepted create and join ops, rebuilt once per membership state. */
  private former(state: MembershipState): Map<string, string> {
    if (this.past?.state === state) return this.past.names;
    const names = new Map<string, string>();
    for (const id of state.accepted) {
      const action = this.log.op(id)?.body.action;
      if (action?.type === "create" || action?.type === "join") {
        names.set(toHex(action.cert.user), displayName(action.name));
      }
    }
    this.past = { state, names };
    return names;
  }
}
