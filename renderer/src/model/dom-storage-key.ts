/**
 * Where this device's storage key comes from (it seals every record of the
 * local store, the private keys included):
 *
 * - web app: a non-extractable AES-GCM CryptoKey kept in IndexedDB (decision 34);
 * - desktop app with an OS keychain: a random key wrapped by `safeStorage`
 *   through the shell, the wrapped bytes kept in IndexedDB;
 * - desktop app without a usable keychain (Linux without a secret service):
 *   a key derived from a passphrase the user picks (PBKDF2-SHA-256, 600,000
 *   iterations, random salt), asked at every start. Chromium keeps
 *   IndexedDB in clear on disk, so a stored CryptoKey would not protect the
 *   profile from someone who copies the files; the passphrase does.
 */
import { openDB } from "idb";
import type { GroveShell } from "../../../electron/shell-api.js";

const KEYRING_DB = "grove-keyring";
const KEYRING_STORE = "keys";
const WEB_KEY = "storage";
const SHELL_KEY = "storage-shell";
const PBKDF2_ITERATIONS = 600_000;

type ShellRecord =
  | { kind: "keychain"; wrapped: Uint8Array }
  | { kind: "passphrase"; salt: Uint8Array };

export type KeySource =
  | { kind: "ready"; key: CryptoKey }
  /** No keychain and no passphrase chosen yet: the user picks one. */
  | { kind: "choose-passphrase" }
  /** A passphrase protects this profile: the user types it. */
  | { kind: "enter-passphrase" };

export class StorageKeyError extends Error {
  override readonly name = "StorageKeyError";
  constructor(
    readonly code: "KEYCHAIN_REFUSED" | "WEAK_PASSPHRASE",
    message: string,
  ) {
    super(message);
  }
}

async function keyring<T>(work: (db: Awaited<ReturnType<typeof open>>) => Promise<T>): Promise<T> {
  const db = await open();
  try {
    return await work(db);
  } finally {
    db.close();
  }
}

function open() {
  return openDB(KEYRING_DB, 1, {
    upgrade(d) {
      d.createObjectStore(KEYRING_STORE);
    },
  });
}

const importRaw = (raw: Uint8Array) =>
  crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, ["encrypt", "decrypt"]);

/** The key where it needs no question to the user, or which question to ask. */
export async function storageKeySource(shell: GroveShell | undefined): Promise<KeySource> {
  if (!shell) return { kind: "ready", key: await webKey() };
  const record = await keyring(
    (db) => db.get(KEYRING_STORE, SHELL_KEY) as Promise<ShellRecord | undefined>,
  );
  if (record?.kind === "passphrase") return { kind: "enter-passphrase" };
  if (record?.kind === "keychain") {
    const opened = await shell.unwrapStorageKey(record.wrapped);
    if (!opened.ok) {
      throw new StorageKeyError(
        "KEYCHAIN_REFUSED",
        opened.reason === "unavailable"
          ? "the OS keychain that holds this profile's key is not available right now"
          : "the OS keychain could not open this profile's key (another user or a reset keychain)",
      );
    }
    return { kind: "ready", key: await importRaw(opened.key) };
  }
  // First start of the desktop app: a fresh key, wrapped by the keychain if there is one.
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const wrapped = await shell.wrapStorageKey(raw);
  if (!wrapped.ok) return { kind: "choose-passphrase" };
  await keyring((db) =>
    db.put(
      KEYRING_STORE,
      { kind: "keychain", wrapped: wrapped.wrapped } satisfies ShellRecord,
      SHELL_KEY,
    ),
  );
  return { kind: "ready", key: await importRaw(raw) };
}

async function webKey(): Promise<CryptoKey> {
  return keyring(async (db) => {
    const existing = (await db.get(KEYRING_STORE, WEB_KEY)) as CryptoKey | undefined;
    if (existing) return existing;
    const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
      "encrypt",
      "decrypt",
    ]);
    await db.put(KEYRING_STORE, key, WEB_KEY);
    return key;
  });
}

export const MIN_PASSPHRASE = 10;

/** The key from a passphrase; `choose` records a new salt (first start), else the stored one is used. */
export async function passphraseKey(passphrase: string, choose: boolean): Promise<CryptoKey> {
  if (choose && passphrase.length < MIN_PASSPHRASE) {
    throw new StorageKeyError(
      "WEAK_PASSPHRASE",
      `a passphrase needs at least ${MIN_PASSPHRASE} characters`,
    );
  }
  const salt = await keyring(async (db) => {
    const record = (await db.get(KEYRING_STORE, SHELL_KEY)) as ShellRecord | undefined;
    if (!choose && record?.kind === "passphrase") return record.salt;
    const fresh = crypto.getRandomValues(new Uint8Array(16));
    await db.put(
      KEYRING_STORE,
      { kind: "passphrase", salt: fresh } satisfies ShellRecord,
      SHELL_KEY,
    );
    return fresh;
  });
  const material = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(passphrase.normalize("NFKC")),
    "PBKDF2",
    false,
    ["deriveKey"],
  );
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations: PBKDF2_ITERATIONS },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}
