import { useState } from "react";
import type { InviteMode } from "../../../core/membership/ops.js";
import type { Role } from "../../../core/space/access.js";
import type { SpaceHandle } from "../model/space-handle.js";
import { Dialog } from "./Dialog.js";
import { Actions, Alert } from "./Form.js";
import { useClient } from "./hooks.js";
import { type InviteFacts, inviteSummary, parseAddresses } from "./invite-words.js";
import { QrCode } from "./QrCode.js";

type Made = Awaited<ReturnType<ReturnType<typeof useClient>["invite"]>> & {
  /** The address this link is for; none when the inviter sends it themselves. */
  to?: string;
};

const EXPIRY = [
  { hours: 24, label: "1 day" },
  { hours: 24 * 7, label: "7 days" },
  { hours: 24 * 30, label: "30 days" },
];

/*
 * "Send through relay" is offered only where the relay said it has mail (RELAY_INFO), and only
 * for confirmed invites: an open link read by the relay's operator would let them in. A button
 * that fails after the click is worse than none.
 */
export function InviteDialog({ handle, onClose }: { handle: SpaceHandle; onClose: () => void }) {
  const client = useClient();
  const [emails, setEmails] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [mode, setMode] = useState<InviteMode>("confirmed");
  const [oneTime, setOneTime] = useState(true);
  const [hours, setHours] = useState(24 * 7);
  const [made, setMade] = useState<{ links: Made[]; facts: InviteFacts }>();
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState<string>();
  const [busy, setBusy] = useState(false);

  const create = async () => {
    const { addresses, bad } = parseAddresses(emails);
    // Every address is checked before any invite exists: a typo must not leave live links behind.
    if (bad.length > 0) {
      setError(
        `${bad.map((b) => `"${b}"`).join(", ")} ${bad.length === 1 ? "is not an email address" : "are not email addresses"}. Correct or remove ${bad.length === 1 ? "it" : "them"}; no invitation was made.`,
      );
      return;
    }
    setBusy(true);
    setError(undefined);
    const request = { role, mode, expiresInHours: hours, oneTime };
    const facts = { role, mode, oneTime, expiresAt: Date.now() + hours * 3600_000 };
    const links: Made[] = [];
    try {
      // One link per person, so a single-use link admits exactly the person it was sent to.
      for (const to of addresses.length > 0 ? addresses : [undefined]) {
        const link = await client.invite(handle.id, request);
        links.push(to ? { ...link, to } : link);
      }
      setMade({ links, facts });
    } catch (err) {
      setError(
        `Could not create ${links.length > 0 ? "every" : "the"} invitation: ${(err as Error).message}`,
      );
      if (links.length > 0) setMade({ links, facts });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Invite to ${handle.name}`} onClose={onClose} wide>
      {!made ? (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void create();
          }}
        >
          <label>
            Email addresses{" "}
            <span className="muted">(optional; separate with commas: one link each)</span>
            <input
              inputMode="email"
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
          <fieldset>
            <legend>How many people per link</legend>
            <label className="radio">
              <input type="radio" name="uses" checked={oneTime} onChange={() => setOneTime(true)} />
              <span>
                <strong>Single use</strong>: the first person let in uses it up.
              </span>
            </label>
            <label className="radio">
              <input
                type="radio"
                name="uses"
                checked={!oneTime}
                onChange={() => setOneTime(false)}
              />
              <span>
                <strong>Multi-use</strong>: anyone with the link may ask until it expires or you
                revoke it.
              </span>
            </label>
          </fieldset>
          <Alert message={error} />
          <Actions onCancel={onClose} submit={"Create invitation"} disabled={busy} />
        </form>
      ) : (
        <div className="invite-made">
          <Alert message={error} />
          <p>{inviteSummary(made.facts)}</p>
          <ul className="invite-links">
            {made.links.map((link, i) => {
              const label = link.to ? `Invitation link for ${link.to}` : "Invitation link";
              return (
                <li key={link.url} className="invite-link card">
                  <div className="grow">
                    <label>
                      {label}
                      <input readOnly value={link.url} onFocus={(e) => e.target.select()} />
                    </label>
                    <div className="row">
                      <button
                        type="button"
                        className={i === 0 ? "primary" : undefined}
                        aria-label={link.to ? `Copy link for ${link.to}` : "Copy link"}
                        onClick={async () => {
                          try {
                            await navigator.clipboard.writeText(link.url);
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
                        href={link.mailto(link.to ? [link.to] : [])}
                        aria-label={
                          link.to ? `Open in mail app for ${link.to}` : "Open in mail app"
                        }
                        onClick={() =>
                          // The system gets the mailto: link; whether a mail app took it, no page can tell.
                          setStatus(
                            "Handed to your mail app. If no mail app opened, copy the link and send it yourself.",
                          )
                        }
                      >
                        Open in mail app
                      </a>
                    </div>
                  </div>
                  <QrCode text={link.url} label={`QR code of the ${label.toLowerCase()}`} />
                </li>
              );
            })}
          </ul>
          {status && (
            <p role="status" className="muted">
              {status}
            </p>
          )}
          <RelayMail links={made.links} mode={made.facts.mode} handle={handle} />
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

type Sent = "sending" | "sent" | { error: string };

/**
 * Sends each addressed link through the relay's mail, when the relay has it; says per address
 * what happened, in words, and lets a failed one be tried again.
 */
function RelayMail({
  links,
  mode,
  handle,
}: {
  links: Made[];
  mode: InviteMode;
  handle: SpaceHandle;
}) {
  const client = useClient();
  const addressed = links.filter((l): l is Made & { to: string } => Boolean(l.to));
  const [sent, setSent] = useState<Record<string, Sent>>({});
  if (!client.relayMail || addressed.length === 0) return null;
  if (mode !== "confirmed") {
    return (
      <p className="muted">
        Open invitations go from your own mail app, never through the relay: whoever reads an open
        link gets in.
      </p>
    );
  }
  const send = async () => {
    for (const link of addressed) {
      if (sent[link.to] === "sent") continue;
      setSent((s) => ({ ...s, [link.to]: "sending" }));
      try {
        await client.mailInvite(handle, { to: link.to, link: link.url }, mode);
        setSent((s) => ({ ...s, [link.to]: "sent" }));
      } catch (err) {
        setSent((s) => ({ ...s, [link.to]: { error: (err as Error).message } }));
      }
    }
  };
  const busy = Object.values(sent).includes("sending");
  const allSent = addressed.every((l) => sent[l.to] === "sent");
  return (
    <section className="relay-mail" aria-label="Mail through the relay">
      <ul className="relay-mail-results" aria-live="polite">
        {addressed
          .flatMap((l) => {
            const state = sent[l.to];
            return state === undefined ? [] : [{ l, state }];
          })
          .map(({ l, state }) => {
            return (
              <li key={l.to}>
                {state === "sending"
                  ? `Sending to ${l.to}…`
                  : state === "sent"
                    ? `Sent to ${l.to} by the relay.`
                    : `Not sent to ${l.to}: ${state.error}`}
              </li>
            );
          })}
      </ul>
      {!allSent && (
        <button type="button" disabled={busy} onClick={() => void send()}>
          {Object.keys(sent).length > 0 ? "Try again through relay" : "Send through relay"}
        </button>
      )}
    </section>
  );
}
