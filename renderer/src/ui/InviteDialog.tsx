import { useState } from "react";
import type { InviteMode } from "../../../core/membership/ops.js";
import type { Role } from "../../../core/space/access.js";
import type { SpaceHandle } from "../model/space-handle.js";
import { Dialog } from "./Dialog.js";
import { Actions, Alert } from "./Form.js";
import { useClient } from "./hooks.js";

type Made = Awaited<ReturnType<ReturnType<typeof useClient>["invite"]>>;

const EXPIRY = [
  { hours: 24, label: "1 day" },
  { hours: 24 * 7, label: "7 days" },
  { hours: 24 * 30, label: "30 days" },
];

export function InviteDialog({ handle, onClose }: { handle: SpaceHandle; onClose: () => void }) {
  const client = useClient();
  const [emails, setEmails] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [mode, setMode] = useState<InviteMode>("confirmed");
  const [hours, setHours] = useState(24 * 7);
  const [made, setMade] = useState<Made>();
  const [status, setStatus] = useState<string>();
  const [busy, setBusy] = useState(false);
  const addresses = emails
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);

  const create = async () => {
    setBusy(true);
    try {
      setMade(await client.invite(handle.id, { role, mode, expiresInHours: hours, oneTime: true }));
      setStatus(undefined);
    } catch (err) {
      setStatus(`Could not create the invitation: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Invite to ${handle.name}`} onClose={onClose} wide>
      {!made ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void create();
          }}
        >
          <label>
            Email addresses <span className="muted">(optional; separate with commas)</span>
            <input
              value={emails}
              onChange={(e) => setEmails(e.target.value)}
              placeholder="bob@example.com"
            />
          </label>
          <div className="row">
            <label>
              Role
              <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
                <option value="member">Member (reads and writes)</option>
                <option value="viewer">Viewer (reads only)</option>
                <option value="manager">Manager (also invites and removes)</option>
              </select>
            </label>
            <label>
              Expires after
              <select value={hours} onChange={(e) => setHours(Number(e.target.value))}>
                {EXPIRY.map((x) => (
                  <option key={x.hours} value={x.hours}>
                    {x.label}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <fieldset>
            <legend>Who gets in</legend>
            <label className="radio">
              <input
                type="radio"
                name="mode"
                checked={mode === "confirmed"}
                onChange={() => setMode("confirmed")}
              />
              <span>
                <strong>Confirmed</strong>: you compare a safety number and let them in.
              </span>
            </label>
            <label className="radio">
              <input
                type="radio"
                name="mode"
                checked={mode === "open"}
                onChange={() => setMode("open")}
              />
              <span>
                <strong>Open</strong>: whoever holds the link gets in at once. Send it only over a
                channel you trust.
              </span>
            </label>
          </fieldset>
          <Alert message={status} />
          <Actions onCancel={onClose} submit={"Create invitation"} disabled={busy} />
        </form>
      ) : (
        <div className="invite-made">
          <label>
            Invitation link
            <input
              readOnly
              value={made.url}
              aria-label="Invitation link"
              onFocus={(e) => e.target.select()}
            />
          </label>
          <div className="row">
            <button
              type="button"
              className="primary"
              onClick={async () => {
                try {
                  await navigator.clipboard.writeText(made.url);
                  setStatus("Link copied.");
                } catch {
                  setStatus("Copying was refused: select the link and copy it yourself.");
                }
              }}
            >
              Copy link
            </button>
            <a
              className="button"
              href={made.mailto(addresses)}
              onClick={() => setStatus("Opened in your mail app.")}
            >
              Open in mail app
            </a>
            {mode === "confirmed" && (
              <button
                type="button"
                disabled={addresses.length === 0}
                onClick={async () => {
                  setStatus("Sending through the relay…");
                  try {
                    await client.mailInvite(addresses, made.mail, mode);
                    setStatus(`Sent to ${addresses.join(", ")}.`);
                  } catch (err) {
                    setStatus(`Not sent: ${(err as Error).message}`);
                  }
                }}
              >
                Send through relay
              </button>
            )}
          </div>
          {mode === "confirmed" && (
            <p className="muted small">
              Sending through the relay lets its operator see the addresses and the link; the link
              alone does not let anyone in without your confirmation.
            </p>
          )}
          {status && (
            <p role="status" className="muted">
              {status}
            </p>
          )}
          <div className="row end">
            <button type="button" onClick={onClose}>
              Done
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
