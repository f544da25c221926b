import { type FormEvent, useState } from "react";
import { defaultRelayUrl } from "../model/profile.js";
import { Alert } from "./Form.js";
import { useClient } from "./hooks.js";
import { LinkThisDevice } from "./LinkDevice.js";

function guessDevice(): string {
  const p = navigator.userAgent;
  const os = /Mac/.test(p)
    ? "Mac"
    : /Windows/.test(p)
      ? "Windows PC"
      : /Linux/.test(p)
        ? "Linux computer"
        : "computer";
  return `My ${os}`;
}

export function Onboarding() {
  const client = useClient();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [device, setDevice] = useState(guessDevice);
  const [relayFromOrigin] = useState(() => defaultRelayUrl(location));
  const [relay, setRelay] = useState(relayFromOrigin);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [linking, setLinking] = useState(
    () => client.deepLink?.startsWith("grove://link") ?? false,
  );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!/^wss?:\/\/[^\s]+$/.test(relay.trim())) {
      setError("The relay address starts with ws:// or wss://");
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await client.onboard({ name, email, deviceName: device, relayUrl: relay });
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  if (linking) {
    return (
      <main className="onboarding">
        <LinkThisDevice
          deviceName={device}
          initial={client.deepLink?.startsWith("grove://link") ? client.takeDeepLink() : undefined}
          onBack={() => setLinking(false)}
        />
      </main>
    );
  }
  return (
    <main className="onboarding">
      <form className="card" onSubmit={submit} aria-labelledby="onb-title">
        <h1 id="onb-title">Welcome to Grove</h1>
        <p className="muted">
          Shared spaces for small groups. What you write is end-to-end encrypted and kept on your
          members' devices; relays only pass sealed data along.
        </p>
        <label>
          Your name
          <input
            required
            maxLength={64}
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoComplete="name"
          />
        </label>
        <label>
          Email <span className="muted">(optional, stays on this device)</span>
          <input
            type="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            autoComplete="email"
          />
        </label>
        <label>
          This device's name
          <input
            required
            maxLength={64}
            value={device}
            onChange={(e) => setDevice(e.target.value)}
          />
        </label>
        {/* Open where there is no relay to default to (the packaged desktop app). */}
        <details open={relayFromOrigin === "" ? true : undefined}>
          <summary>Relay</summary>
          <label>
            Relay address
            <input
              required
              value={relay}
              onChange={(e) => setRelay(e.target.value)}
              placeholder="wss://relay.example.com"
              spellCheck={false}
            />
          </label>
          <p className="muted small">
            The relay keeps sealed changes for members who are offline. The default is the one this
            app came from; anyone can run one.
          </p>
        </details>
        <Alert message={error} />
        <button type="submit" className="primary" disabled={busy || name.trim() === ""}>
          {busy ? "Creating your keys…" : "Create my identity"}
        </button>
        <button type="button" className="link wide" onClick={() => setLinking(true)}>
          Link to a device I already use
        </button>
      </form>
    </main>
  );
}
