/**
 * NaCl secretbox (XSalsa20-Poly1305), the cipher of every envelope body:
 * `nonce (24) || tag (16) || ciphertext`. One seam so envelopes never
 * touch a library directly.
 *
 * Two implementations of the one primitive, byte for byte the same output:
 * tweetnacl (pure JS, always there) and libsodium (WASM), which opens an
 * envelope-sized box in under half tweetnacl's time (bench/results/crypto.json;
 * secretbox was a sixth of a 10,000-envelope catch-up). libsodium is loaded
 * once by `loadSecretbox` (Space.open awaits it); until it has loaded, or
 * where it cannot (a page whose CSP refuses WebAssembly), tweetnacl serves.
 * @noble/ciphers was slower than both here (per-call setup).
 *
 * Both check the Poly1305 tag before they decrypt; a mismatch is
 * `undefined` here, so no plaintext leaves unauthenticated.
 */
import nacl from "tweetnacl";

export const SECRETBOX_NONCE_BYTES = 24;
export const SECRETBOX_KEY_BYTES = 32;
const TAG_BYTES = 16;

export type SecretboxBackendName = "libsodium" | "tweetnacl";

/** `tag || ciphertext` for a message, and back; length checks are the seam's. */
interface SecretboxImpl {
  name: SecretboxBackendName;
  seal(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  open(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | undefined;
}

const tweetnacl: SecretboxImpl = {
  name: "tweetnacl",
  seal: (message, nonce, key) => nacl.secretbox(message, nonce, key),
  open: (box, nonce, key) => nacl.secretbox.open(box, nonce, key) ?? undefined,
};

let active: SecretboxImpl = tweetnacl;

/**
 * nacl.box (X25519, then XSalsa20-Poly1305) for key boxes: libsodium with
 * the secretbox (same selection), tweetnacl otherwise; the same bytes.
 * Sealing a rotation's key to 2,000 devices took seconds in JavaScript.
 */
export interface BoxImpl {
  publicKeyOf(secret: Uint8Array): Uint8Array;
  seal(message: Uint8Array, nonce: Uint8Array, theirs: Uint8Array, mine: Uint8Array): Uint8Array;
  open(
    box: Uint8Array,
    nonce: Uint8Array,
    theirs: Uint8Array,
    mine: Uint8Array,
  ): Uint8Array | undefined;
}
const tweetnaclBox: BoxImpl = {
  publicKeyOf: (secret) => nacl.box.keyPair.fromSecretKey(secret).publicKey,
  seal: (message, nonce, theirs, mine) => nacl.box(message, nonce, theirs, mine),
  open: (box, nonce, theirs, mine) => nacl.box.open(box, nonce, theirs, mine) ?? undefined,
};
let sodiumBox: BoxImpl | undefined;

/** The box implementation that goes with the secretbox in use. */
export function boxImpl(): BoxImpl {
  return active.name === "libsodium" && sodiumBox ? sodiumBox : tweetnaclBox;
}
/** Ed25519 key pair from a seed, from the same library as the box (see `signKeyPairFromSeed`). */
let sodiumSignSeed:
  | ((seed: Uint8Array) => { publicKey: Uint8Array; secretKey: Uint8Array })
  | undefined;

/**
 * An Ed25519 key pair (secret key in tweetnacl's form, seed || public key)
 * from its seed: libsodium once loaded, tweetnacl until then; the same bytes
 * (Ed25519 keys are a function of the seed). tweetnacl took 10-25 ms of each
 * launch deriving the profile's two key pairs.
 */
export function signKeyPairFromSeed(seed: Uint8Array): {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
} {
  if (active.name === "libsodium" && sodiumSignSeed) {
    try {
      return sodiumSignSeed(seed);
    } catch (err) {
      // A failing WebAssembly instance: tweetnacl gives the same keys, from now on.
      sodiumSignSeed = undefined;
      loadFailure = `libsodium key derivation failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return nacl.sign.keyPair.fromSeed(seed);
}

/** The few exports of libsodium's WebAssembly module that opening a box takes. */
interface RawSodium {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(address: number): void;
  _crypto_secretbox_open_easy(
    m: number,
    c: number,
    clen: number,
    clenHigh: number,
    n: number,
    k: number,
  ): number;
}

function rawSodium(module: unknown): RawSodium | undefined {
  const raw = module as Partial<RawSodium> | undefined;
  return raw?.HEAPU8 instanceof Uint8Array &&
    typeof raw._malloc === "function" &&
    typeof raw._free === "function" &&
    typeof raw._crypto_secretbox_open_easy === "function"
    ? (raw as RawSodium)
    : undefined;
}

/**
 * Opens boxes through libsodium's own exports with one region of its heap
 * kept for them: key | nonce | box | message. The wrapper's
 * `crypto_secretbox_open_easy` allocates, checks and frees five buffers per
 * call, a fifth of opening an envelope. The key and the message are wiped
 * from the region after each call; it grows (never shrinks) to the largest
 * box seen.
 */
function heapOpener(raw: RawSodium) {
  let base = 0;
  let capacity = 0;
  return (box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | undefined => {
    const messageLength = box.length - TAG_BYTES;
    const need = SECRETBOX_KEY_BYTES + SECRETBOX_NONCE_BYTES + box.length + messageLength;
    if (need > capacity) {
      const size = Math.max(need, 64 * 1024);
      const address = raw._malloc(size);
      if (!address) throw new Error("libsodium could not allocate");
      if (base) raw._free(base);
      base = address;
      capacity = size;
    }
    const at = {
      key: base,
      nonce: base + SECRETBOX_KEY_BYTES,
      box: base + SECRETBOX_KEY_BYTES + SECRETBOX_NONCE_BYTES,
      message: base + SECRETBOX_KEY_BYTES + SECRETBOX_NONCE_BYTES + box.length,
    };
    // HEAPU8 is replaced when the heap grows: taken afresh after any allocation.
    const heap = raw.HEAPU8;
    heap.set(key, at.key);
    heap.set(nonce, at.nonce);
    heap.set(box, at.box);
    const failed = raw._crypto_secretbox_open_easy(
      at.message,
      at.box,
      box.length,
      0,
      at.nonce,
      at.key,
    );
    const message = failed ? undefined : heap.slice(at.message, at.message + messageLength);
    heap.fill(0, at.key, at.key + SECRETBOX_KEY_BYTES);
    heap.fill(0, at.message, at.message + messageLength);
    return message;
  };
}

let loading: Promise<SecretboxBackendName> | undefined;
let sodiumImpl: SecretboxImpl | undefined;
let loadFailure: string | undefined;

/**
 * Loads libsodium once and makes it the implementation; resolves with the
 * one in use. Never rejects: where libsodium cannot load, tweetnacl stays
 * (and `secretboxBackend().unavailable` says why).
 */
export function loadSecretbox(): Promise<SecretboxBackendName> {
  loading ??= import("libsodium-wrappers")
    .then(async ({ default: sodium }) => {
      await sodium.ready;
      sodiumBox = {
        publicKeyOf: (secret) => sodium.crypto_scalarmult_base(secret),
        seal: (message, nonce, theirs, mine) =>
          sodium.crypto_box_easy(message, nonce, theirs, mine),
        open: (box, nonce, theirs, mine) => {
          try {
            return sodium.crypto_box_open_easy(box, nonce, theirs, mine);
          } catch {
            // As for secretbox: a refusal or a failing instance; tweetnacl has the last word.
            return nacl.box.open(box, nonce, theirs, mine) ?? undefined;
          }
        },
      };
      sodiumSignSeed = (seed) => {
        const pair = sodium.crypto_sign_seed_keypair(seed);
        return { publicKey: pair.publicKey, secretKey: pair.privateKey };
      };
      const raw = rawSodium((sodium as { libsodium?: unknown }).libsodium);
      const openInHeap = raw && heapOpener(raw);
      sodiumImpl = {
        name: "libsodium",
        seal: (message, nonce, key) => {
          try {
            return sodium.crypto_secretbox_easy(message, nonce, key);
          } catch {
            // Only a failing WebAssembly instance throws here: the same bytes come from tweetnacl.
            return tweetnacl.seal(message, nonce, key);
          }
        },
        open: (box, nonce, key) => {
          try {
            if (openInHeap) return openInHeap(box, nonce, key) ?? tweetnacl.open(box, nonce, key);
            return sodium.crypto_secretbox_open_easy(box, nonce, key);
          } catch {
            // libsodium throws for a box that does not authenticate, and also when its own
            // instance fails; tweetnacl has the last word, so a broken WebAssembly instance
            // cannot make good envelopes look forged (forgeries are checked twice, that is all).
            return tweetnacl.open(box, nonce, key);
          }
        },
      };
      active = sodiumImpl;
      return active.name;
    })
    .catch((err: unknown) => {
      loadFailure = err instanceof Error ? err.message : String(err);
      return active.name;
    });
  return loading;
}

/** The implementation in use, and why libsodium is not, where it failed to load. */
export function secretboxBackend(): { name: SecretboxBackendName; unavailable?: string } {
  return { name: active.name, ...(loadFailure ? { unavailable: loadFailure } : {}) };
}

/**
 * Switches to one implementation (libsodium only once loaded): for tests
 * and benches that hold the two side by side. Returns the one before.
 */
export function selectSecretbox(name: SecretboxBackendName): SecretboxBackendName {
  const before = active.name;
  if (name === "tweetnacl") active = tweetnacl;
  else if (sodiumImpl) active = sodiumImpl;
  else throw new Error("libsodium is not loaded");
  return before;
}

/** `nonce || secretbox(message, nonce, key)`, the secretbox after its nonce. */
export function sealSecretbox(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  checkKey(key);
  if (nonce.length !== SECRETBOX_NONCE_BYTES)
    throw new RangeError("secretbox nonce must be 24 bytes");
  const box = active.seal(message, nonce, key);
  const out = new Uint8Array(SECRETBOX_NONCE_BYTES + box.length);
  out.set(nonce);
  out.set(box, SECRETBOX_NONCE_BYTES);
  return out;
}

/**
 * Opens `nonce (24) || tag (16) || ciphertext` under `key`. Returns the
 * plaintext, or undefined when the box does not authenticate.
 */
export function openSecretbox(body: Uint8Array, key: Uint8Array): Uint8Array | undefined {
  checkKey(key);
  if (body.length < SECRETBOX_NONCE_BYTES + TAG_BYTES) return undefined;
  const nonce = body.subarray(0, SECRETBOX_NONCE_BYTES);
  return active.open(body.subarray(SECRETBOX_NONCE_BYTES), nonce, key);
}

function checkKey(key: Uint8Array): void {
  if (key.length !== SECRETBOX_KEY_BYTES) throw new RangeError("secretbox key must be 32 bytes");
}
