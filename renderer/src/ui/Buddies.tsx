import { useState } from "react";
import { fromHex } from "../../../core/crypto/bytes.js";
import { type Buddy, verificationCode } from "../../../core/membership/buddies.js";
import { Dialog } from "./Dialog.js";
import { useClient } from "./hooks.js";
import { PresenceDot, presenceText } from "./Presence.js";
import { QrCode } from "./QrCode.js";
import { SafetyNumber } from "./SafetyNumber.js";

export function Buddies() {
  const client = useClient();
  const [verifying, setVerifying] = useState<Buddy>();
  const buddies = client.buddies();
  const direct = client.directUsers();
  return (
    <section className="buddies" aria-labelledby="buddies-title">
      <h1 id="buddies-title">Buddies</h1>
      <p className="muted">Everyone you share a space with.</p>
      <ul className="member-list">
        {buddies.map((b) => (
          <li key={b.user} className={b.trust === "keyChanged" ? "member key-changed" : "member"}>
            <PresenceDot presence={b.presence} />
            <div className="grow">
              <strong dir="auto">{b.name}</strong>
              <div className="muted small" data-testid="buddy-presence">
                {presenceText(b.presence)}
                {direct.has(b.user) ? " · connected directly" : ""} ·{" "}
                {b.spaces.map((s) => s.name).join(", ")}
              </div>
              {b.trust === "keyChanged" && (
                <p className="warn" role="alert">
                  Not the key you verified for this name. It may be a new install, or someone else.
                  Verify again before you trust it.
                </p>
              )}
            </div>
            {b.trust === "verified" ? (
              <span className="verified">Verified</span>
            ) : (
              <button type="button" onClick={() => setVerifying(b)}>
                Verify {b.name}
              </button>
            )}
          </li>
        ))}
        {buddies.length === 0 && (
          <li className="muted pad">Invite people to a space and they show up here.</li>
        )}
      </ul>
      {verifying && <VerifyDialog buddy={verifying} onClose={() => setVerifying(undefined)} />}
    </section>
  );
}

function VerifyDialog({ buddy, onClose }: { buddy: Buddy; onClose: () => void }) {
  const client = useClient();
  const me = fromHex(client.myUser);
  const them = fromHex(buddy.user);
  return (
    <Dialog title={`Verify ${buddy.name}`} onClose={onClose} wide>
      <p>
        Compare these numbers with {buddy.name}, in person or on a call you trust. They are the same
        on both screens only if nobody sits between you.
      </p>
      <div className="verify">
        <SafetyNumber me={client.myUser} them={buddy.user} label={"Safety number"} big />
        <QrCode
          text={verificationCode(me, them)}
          label={`QR code of the safety number with ${buddy.name}`}
        />
      </div>
      <div className="row end">
        <button type="button" onClick={onClose}>
          Not now
        </button>
        <button
          type="button"
          className="primary"
          onClick={() =>
            void client
              .attempt("Marking as verified", () => client.verify(buddy.user, buddy.name))
              .then(onClose)
          }
        >
          The numbers match
        </button>
      </div>
    </Dialog>
  );
}
