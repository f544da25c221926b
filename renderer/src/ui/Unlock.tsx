import { type FormEvent, useState } from "react";
import { MIN_PASSPHRASE } from "../model/dom-storage-key.js";
import { Alert } from "./Form.js";
import { useClient } from "./hooks.js";

/**
 * The desktop app on a system without an OS keychain: the profile's key
 * comes from a passphrase, chosen at the first start and asked at each one.
 */
export function Unlock() {
  const client = useClient();
  const choosing = client.phase === "choose-passphrase";
  const [passphrase, setPassphrase] = useState("");
  const [again, setAgain] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (choosing && passphrase !== again) {
      setError("The two passphrases differ.");
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await client.unlock(passphrase);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return (
    <main className="onboarding">
      <form className="card" onSubmit={submit} aria-labelledby="unlock-title">
        <h1 id="unlock-title">{choosing ? "Protect Grove with a passphrase" : "Unlock Grove"}</h1>
        <p className="muted">
          {choosing
            ? "This system has no keychain Grove can keep its key in, so your messages and keys on this device are sealed with a passphrase instead. Nobody can recover it for you."
            : "Your Grove data on this device is sealed with your passphrase."}
        </p>
        <label>
          Passphrase{" "}
          {choosing && <span className="muted">(at least {MIN_PASSPHRASE} characters)</span>}
          <input
            type="password"
            required
            value={passphrase}
            onChange={(e) => setPassphrase(e.target.value)}
            autoComplete={choosing ? "new-password" : "current-password"}
          />
        </label>
        {choosing && (
          <label>
            The same passphrase again
            <input
              type="password"
              required
              value={again}
              onChange={(e) => setAgain(e.target.value)}
              autoComplete="new-password"
            />
          </label>
        )}
        <Alert message={error} />
        <button type="submit" className="primary" disabled={busy || passphrase === ""}>
          {busy ? "Opening…" : choosing ? "Protect and continue" : "Unlock"}
        </button>
      </form>
    </main>
  );
}
