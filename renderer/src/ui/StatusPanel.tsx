import { toHex } from "../../../core/crypto/bytes.js";
import { hashBackend } from "../../../core/crypto/hash.js";
import { secretboxBackend } from "../../../core/crypto/secretbox.js";
import type { RecentError } from "../../../core/diagnostics/recent-errors.js";
import { bytesPerSecond, shortTime } from "./format.js";
import { useClient } from "./hooks.js";

/**
 * How many changes wait for each other person, from how many wait for each device: a
 * change goes to every device of a member, so a person's figure is their most behind
 * device's, not the sum over their devices (which counted each change once per device).
 */
export function waitingByUser(
  waitingFor: ReadonlyMap<string, number>,
  userOfDevice: ReadonlyMap<string, string>,
  me: string,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [device, n] of waitingFor) {
    const user = userOfDevice.get(device);
    if (user && user !== me) out.set(user, Math.max(out.get(user) ?? 0, n));
  }
  return out;
}

/** The link as Groove showed it: relay, direct peers, the route per buddy, what waits for whom. */
export function StatusPanel() {
  const client = useClient();
  const engine = client.engine;
  const direct = client.directUsers();
  const route = engine?.route;
  const fanOut = route?.reason === "slow-link" || route?.reason === "many-targets";
  const names = new Map<string, string>();
  const userOfDevice = new Map<string, string>();
  for (const h of client.spaces.values()) {
    for (const m of h.members()) {
      names.set(m.user, m.name);
      for (const d of m.devices) userOfDevice.set(d, m.user);
    }
  }
  const waiting = waitingByUser(client.waitingFor, userOfDevice, client.myUser);
  const buddies = client.buddies();
  const full = (engine?.relay?.fullTargets ?? [])
    .map(
      (t) =>
        names.get(userOfDevice.get(toHex(t.device)) ?? "") ?? "a device you share a space with",
    )
    .filter((name, i, all) => all.indexOf(name) === i);
  return (
    <section className="status" aria-labelledby="status-title">
      <h1 id="status-title">Connection</h1>
      <dl className="facts">
        <dt>Network</dt>
        <dd>{client.offline ? "Offline (changes wait on this device)" : "Online"}</dd>
        <dt>Relay</dt>
        <dd data-testid="relay-status">
          {client.relayStatus} · <code>{client.profile?.relayUrl}</code>
        </dd>
        <dt>Sending</dt>
        <dd>{route?.text ?? "nothing sent yet"}</dd>
        <dt>Measured uplink</dt>
        <dd>{bytesPerSecond(engine?.uplink.bytesPerSecond)}</dd>
        <dt>Encryption</dt>
        <dd data-testid="cipher">{cipherText()}</dd>
        <dt>Hashing</dt>
        <dd data-testid="hashing">{hashingText()}</dd>
        <dt>Waiting in the outbox</dt>
        <dd>
          {waiting.size === 0
            ? "nothing"
            : [...waiting]
                .map(
                  ([user, n]) =>
                    `${n} ${n === 1 ? "change" : "changes"} waiting for ${names.get(user) ?? "someone"}`,
                )
                .join("; ")}
        </dd>
        <dt>Mailbox full at the relay</dt>
        <dd data-testid="full-targets">
          {full.length === 0
            ? "nobody"
            : `${full.join(", ")}: the relay holds no more for ${full.length === 1 ? "them" : "these members"}; what you write still reaches everyone else, and ${full.length === 1 ? "they get" : "each gets"} it from a member once back online`}
        </dd>
      </dl>
      <h2>Routes</h2>
      <table className="routes">
        <thead>
          <tr>
            <th scope="col">Buddy</th>
            <th scope="col">Presence</th>
            <th scope="col">Route</th>
          </tr>
        </thead>
        <tbody>
          {buddies.map((b) => (
            <tr key={b.user} data-testid={`route-${b.name}`}>
              <td>{b.name}</td>
              <td>{b.presence.status}</td>
              <td>
                {direct.has(b.user)
                  ? "direct"
                  : fanOut
                    ? `relay fan-out (${route?.reason === "slow-link" ? "slow link" : "many members"})`
                    : "relay"}
              </td>
            </tr>
          ))}
          {buddies.length === 0 && (
            <tr>
              <td colSpan={3} className="muted">
                No buddies yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <RecentErrors errors={client.snapshot.errors} />
    </section>
  );
}

/**
 * The debug list: work nobody awaited that failed (a receipt, a sync request, a presence
 * beat), newest first, each with its stable code, what it was for and the error's own words.
 * Closed by default: it is for telling a developer what went wrong, not news.
 */
function RecentErrors({ errors }: { errors: readonly RecentError[] }) {
  return (
    <details className="debug" data-testid="recent-errors">
      <summary>Debug: recent errors ({errors.length === 0 ? "none" : errors.length})</summary>
      {errors.length === 0 ? (
        <p className="muted">Nothing that ran in the background has failed since Grove started.</p>
      ) : (
        <ol className="errors">
          {errors.map((e) => (
            <li key={`${e.at}-${e.code}-${e.reason}`}>
              <code>{e.code}</code> while {e.reason}, {shortTime(e.at)}
              {e.times > 1 && ` (${e.times} times in a row)`}
              <br />
              <span dir="auto">{e.message}</span>
            </li>
          ))}
        </ol>
      )}
    </details>
  );
}

/** Which implementation hashes envelopes here: native, the WASM one, or the JS one and why. */
function hashingText(): string {
  const { name, unavailable } = hashBackend();
  if (name === "node") return "SHA-256, native";
  if (name === "wasm") return "SHA-256, hash-wasm (WebAssembly)";
  return `SHA-256, noble (JavaScript${unavailable ? `; WebAssembly unavailable: ${unavailable}` : ""})`;
}

/** Which implementation seals envelopes here: the WASM one, or the JS one and why. */
function cipherText(): string {
  const { name, unavailable } = secretboxBackend();
  if (name === "libsodium") return "XSalsa20-Poly1305, libsodium (WebAssembly)";
  return `XSalsa20-Poly1305, tweetnacl (JavaScript${unavailable ? `; WebAssembly unavailable: ${unavailable}` : ""})`;
}
