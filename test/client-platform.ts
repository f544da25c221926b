/**
 * The client's platform in Node, for tests of GroveClient without a browser:
 * a real FileStore in a directory of its own, the `ws` client to a real relay,
 * a network switch the test flips, and no direct mesh. A key (or a
 * passphrase's salt) lives as long as the platform object, so a second
 * GroveClient on the same platform is the app started again.
 */

import { FileStore } from "../core/store/node-file-store.js";
import type { WebSocketLike } from "../core/sync/websocket.js";
import type { ClientPlatform } from "../renderer/src/model/platform.js";
import { connectWs, tempDir } from "./relay-harness.js";

export interface TestPlatform extends ClientPlatform {
  readonly dir: string;
  /** Flips the network as the OS would tell the app. */
  setOnline(online: boolean): void;
}

const aesKey = (raw: Uint8Array) =>
  crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, ["encrypt", "decrypt"]);

export function testPlatform(options: { passphrase?: boolean } = {}): TestPlatform {
  const dir = tempDir("grove-client-");
  const raw = crypto.getRandomValues(new Uint8Array(32));
  let salt: Uint8Array | undefined;
  let online = true;
  const watchers: (() => void)[] = [];
  return {
    dir,
    shell: undefined,
    keySource: async () => {
      if (!options.passphrase) return { kind: "ready", key: await aesKey(raw) };
      return salt ? { kind: "enter-passphrase" } : { kind: "choose-passphrase" };
    },
    passphraseKey: async (passphrase, choose) => {
      if (choose || !salt) salt = crypto.getRandomValues(new Uint8Array(16));
      const material = await crypto.subtle.importKey(
        "raw",
        new TextEncoder().encode(passphrase),
        "PBKDF2",
        false,
        ["deriveKey"],
      );
      // Few iterations: the derivation is the app's (dom-storage-key.ts); this only needs a key.
      return crypto.subtle.deriveKey(
        { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations: 1000 },
        material,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
    },
    openStore: () => FileStore.open(dir),
    connect: (url): WebSocketLike => connectWs(url),
    online: () => online,
    watchNetwork: (onChange) => {
      watchers.push(onChange);
    },
    setOnline: (next) => {
      online = next;
      for (const w of watchers) w();
    },
    engineLock: () => ({ held: true, tryAcquire: async () => true, takeOver: async () => {} }),
    reload: () => {},
  };
}
