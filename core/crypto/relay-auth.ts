/**
 * What a device signs to log in to a relay: a context string, the relay's
 * fresh challenge nonce, and the relay's canonical origin as the *device*
 * knows it (the URL it dialed), never as the relay claims it. A malicious
 * relay that forwards another relay's challenge therefore gets a signature
 * for the wrong origin, which the other relay rejects.
 */
import { concatBytes, utf8 } from "./bytes.js";
import type { Ed25519Backend } from "./ed25519.js";

const CONTEXT = utf8("grove/relay-auth/v1");

export class RelayUrlError extends Error {
  override readonly name = "RelayUrlError";
  readonly code = "BAD_RELAY_URL";
}

/**
 * `ws(s)://host[:port]` for a relay URL given as ws, wss, http or https;
 * http maps to ws and https to wss, so an operator's public https URL and the
 * app's WebSocket URL name the same relay.
 */
export function relayOrigin(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RelayUrlError(`not a URL: ${url}`);
  }
  const scheme = { "ws:": "ws:", "http:": "ws:", "wss:": "wss:", "https:": "wss:" }[
    parsed.protocol
  ];
  if (!scheme) throw new RelayUrlError(`a relay URL must be ws, wss, http or https: ${url}`);
  // URL drops default ports for the scheme it parsed; recompute for the mapped scheme.
  const defaultPort = scheme === "ws:" ? "80" : "443";
  const port = parsed.port && parsed.port !== defaultPort ? `:${parsed.port}` : "";
  return `${scheme}//${parsed.hostname.toLowerCase()}${port}`;
}

export function relayAuthMessage(nonce: Uint8Array, relayUrl: string): Uint8Array {
  return concatBytes(CONTEXT, nonce, utf8(relayOrigin(relayUrl)));
}

export function signRelayChallenge(
  backend: Ed25519Backend,
  deviceSecretKey: Uint8Array,
  nonce: Uint8Array,
  relayUrl: string,
): Promise<Uint8Array> {
  return backend.sign(deviceSecretKey, relayAuthMessage(nonce, relayUrl));
}

export function verifyRelayAuth(
  backend: Ed25519Backend,
  device: Uint8Array,
  signature: Uint8Array,
  nonce: Uint8Array,
  relayUrl: string,
): Promise<boolean> {
  return backend.verify(device, relayAuthMessage(nonce, relayUrl), signature);
}
