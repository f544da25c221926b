import { useState } from "react";
import { fromHex } from "../../../core/crypto/bytes.js";
import type { Role } from "../../../core/space/access.js";
import type { SpaceHandle } from "../model/space-handle.js";
import { useConfirm } from "./Confirm.js";
import { Alert } from "./Form.js";
import { useClient } from "./hooks.js";
import { InviteDialog } from "./InviteDialog.js";
import { inviteSummary } from "./invite-words.js";
import { PresenceDot, presenceText } from "./Presence.js";
import { SafetyNumber } from "./SafetyNumber.js";
import { StaleMembers } from "./StaleMembers.js";

const ROLES: Role[] = ["owner", "manager", "member", "viewer"];
/** Roles as the app writes them everywhere (sentence case, as in the invite dialog). */
const ROLE_NAMES: Record<Role, string> = {
  owner: "Owner",
  manager: "Manager",
  member: "Member",
  viewer: "Viewer",
};

export function Members({ handle }: { handle: SpaceHandle }) {
  const client = useClient();
  const { dialog: confirmDialog, ask } = useConfirm();
  const [inviting, setInviting] = useState(false);
  const [error, setError] = useState<string>();
  const buddies = new Map(client.buddies().map((b) => [b.user, b]));
  const run = (work: Promise<void>) =>
    work.then(
      () => setError(undefined),
      (err: unknown) => setError((err as Error).message),
    );
  const askRemove = (m: { user: string; name: string }) =>
    ask({
      title: `Remove ${m.name}?`,
      body: `${m.name} stops receiving anything new: the space gets a new key they cannot read. They keep what they already have.`,
      action: "Remove",
      run: () => void run(handle.member.remove(fromHex(m.user))),
    });

  return (
    <div className="members">
      {confirmDialog}
      <Alert message={error} />
      {client.membershipWaiting(handle.id) && (
        <p className="card" role="status">
          Not sent yet: changes to the members made here wait on this device. Until they reach the
          relay the others have not heard of them, and someone removed here still gets what they
          write.
        </p>
      )}
      {handle.canManage && handle.pendingJoins().length > 0 && (
        <section aria-labelledby="pending-title" className="card pending">
          <h2 id="pending-title">Waiting for your confirmation</h2>
          <p className="muted small">
            Compare the safety number with the person (in person or on a call) before letting them
            in. Confirming marks them verified.
          </p>
          <ul>
            {handle.pendingJoins().map((p) => (
              <li key={p.id} className="pending-join">
                <div>
                  <strong>{p.name}</strong> <span className="muted small">on {p.device}</span>
                  <SafetyNumber
                    me={client.myUser}
                    them={p.user}
                    label={`Safety number with ${p.name}`}
                  />
                </div>
                <div className="row">
                  <button
                    type="button"
                    className="primary"
                    onClick={() =>
                      // Confirming is the comparison done: it verifies them, so Buddies does not ask again.
                      run(handle.member.confirm(p.id).then(() => client.verify(p.user, p.name)))
                    }
                  >
                    Confirm {p.name}
                  </button>
                  <button type="button" onClick={() => run(handle.member.decline(p.id))}>
                    Decline
                  </button>
                </div>
              </li>
            ))}
          </ul>
        </section>
      )}
      {handle.canManage && (
        <div className="row end">
          <button type="button" className="primary" onClick={() => setInviting(true)}>
            Invite people
          </button>
        </div>
      )}
      {handle.canManage && handle.outstandingInvites().length > 0 && (
        <section aria-labelledby="invites-title">
          <h2 id="invites-title">Open invitations</h2>
          <ul className="invite-list">
            {handle.outstandingInvites().map((i) => (
              <li key={i.id}>
                <div>
                  {inviteSummary(i)}
                  <div className="muted small">
                    Made by {i.by} · {i.used ? "someone got in by it" : "not used yet"}
                  </div>
                </div>
                <button
                  type="button"
                  aria-label={`Revoke the invitation: ${inviteSummary(i)}, made by ${i.by}`}
                  onClick={() =>
                    ask({
                      title: "Revoke this invitation?",
                      body: "Its link stops working for everyone it was sent to. People already in stay in.",
                      action: "Revoke",
                      run: () => void run(handle.member.revokeInvite(i.id)),
                    })
                  }
                >
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {handle.canManage && <StaleMembers handle={handle} remove={askRemove} part="flags" />}
      <h2>Members</h2>
      <ul className="member-list">
        {handle.members().map((m) => {
          const buddy = buddies.get(m.user);
          const presence = m.me
            ? { status: "online" as const }
            : handle.presence.presenceOf(m.user);
          return (
            <li key={m.user} className="member">
              <PresenceDot presence={presence} />
              <div className="grow">
                <strong dir="auto">{m.name}</strong>{" "}
                {m.me && <span className="muted small">(you)</span>}
                <div className="muted small">
                  {presenceText(presence)} · {m.devices.length}{" "}
                  {m.devices.length === 1 ? "device" : "devices"}
                  {buddy?.trust === "verified" && <span className="verified"> · Verified</span>}
                  {buddy?.trust === "keyChanged" && <span className="warn"> · Key changed!</span>}
                </div>
              </div>
              {handle.canManage && !m.me && m.role !== "owner" ? (
                <>
                  <label className="sr-only" htmlFor={`role-${m.user}`}>
                    Role of {m.name}
                  </label>
                  <select
                    id={`role-${m.user}`}
                    value={m.role}
                    onChange={(e) =>
                      run(handle.member.setRole(fromHex(m.user), e.target.value as Role))
                    }
                  >
                    {ROLES.filter((r) => r !== "owner").map((r) => (
                      <option key={r} value={r}>
                        {ROLE_NAMES[r]}
                      </option>
                    ))}
                  </select>
                  <button
                    type="button"
                    aria-label={`Remove ${m.name}`}
                    onClick={() => askRemove(m)}
                  >
                    Remove
                  </button>
                </>
              ) : (
                <span className="role">{ROLE_NAMES[m.role]}</span>
              )}
            </li>
          );
        })}
      </ul>
      {handle.canManage && <StaleMembers handle={handle} remove={askRemove} part="setting" />}
      {inviting && <InviteDialog handle={handle} onClose={() => setInviting(false)} />}
    </div>
  );
}
