/**
 * The Store contract (test/store-contract.ts) in Node: FileStore and the
 * memory store, each bare and encrypted at rest. IdbStore runs the same
 * cases in Chromium (test/e2e/idb-store.spec.ts).
 */
import { afterEach, describe, it } from "vitest";
import { EncryptedStore } from "../core/store/encrypted-store.js";
import { MemoryStore } from "../core/store/memory-store.js";
import { FileStore } from "../core/store/node-file-store.js";
import type { Store } from "../core/store/store.js";
import { removeDir, tempDir } from "./relay-harness.js";
import { type StoreHarness, storeContract } from "./store-contract.js";

const KEY = new Uint8Array(32).fill(7);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

/** A harness over a fresh directory: `wrap` opens the store the way it is used. */
function onFiles(wrap: (s: Store) => Store): StoreHarness {
  const dir = tempDir("grove-contract-");
  dirs.push(dir);
  return {
    open: async () => wrap(await FileStore.open(dir)),
    reopen: async () => wrap(await FileStore.open(dir)),
  };
}

const implementations: { name: string; harness: () => StoreHarness }[] = [
  { name: "FileStore", harness: () => onFiles((s) => s) },
  { name: "FileStore, encrypted", harness: () => onFiles((s) => new EncryptedStore(s, KEY)) },
  { name: "MemoryStore", harness: () => ({ open: async () => new MemoryStore() }) },
  {
    name: "MemoryStore, encrypted",
    harness: () => ({ open: async () => new EncryptedStore(new MemoryStore(), KEY) }),
  },
];

describe.each(implementations)("Store contract: $name", ({ harness }) => {
  for (const c of storeContract) it(c.name, () => c.run(harness()));
});
