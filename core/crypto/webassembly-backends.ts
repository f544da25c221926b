/**
 * The two WebAssembly implementations, loaded together: libsodium's
 * secretbox (half tweetnacl's time) and hash-wasm's SHA-256 (half noble's).
 * Never rejects: where WebAssembly is refused, the JavaScript ones stay and
 * each backend says why. Only speed depends on it; the bytes are the same.
 */
import { type HashBackendName, loadHash } from "./hash.js";
import { loadSecretbox, type SecretboxBackendName } from "./secretbox.js";

export function loadWebAssemblyBackends(): Promise<[SecretboxBackendName, HashBackendName]> {
  return Promise.all([loadSecretbox(), loadHash()]);
}
