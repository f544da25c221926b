import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { EncryptedStore } from "../../../core/store/encrypted-store.js";
import { FileStore } from "../../../core/store/node-file-store.js";
import { checkKey } from "../../../core/store/store.js";
import { Drafts, draftKey } from "./drafts.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function openStore(dir: string, key: CryptoKey) {
  return new EncryptedStore(await FileStore.open(dir), key);
}

/** Waits (with a deadline) until the drafts have written everything typed. */
async function written(drafts: Drafts) {
  const deadline = Date.now() + 5_000;
  while (drafts.pending > 0) {
    if (Date.now() > deadline) throw new Error("drafts never written");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("drafts", () => {
  it("survive closing and reopening the encrypted store; an emptied draft is gone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "grove-drafts-"));
    dirs.push(dir);
    const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
      "encrypt",
      "decrypt",
    ]);
    const space = "0123456789abcdef0123456789abcdef";
    let store = await openStore(dir, key);
    let drafts = await Drafts.open(store);
    drafts.set(draftKey(space, "Chat"), "half a thought שלום");
    drafts.set(draftKey(space, "Tasks"), "buy seeds");
    drafts.set(draftKey(space, "Tasks"), "buy seed potatoes");
    drafts.set(draftKey(space, "discussion", "abc"), "a reply");
    await written(drafts);
    await store.close();

    store = await openStore(dir, key);
    drafts = await Drafts.open(store);
    expect(drafts.get(draftKey(space, "Chat"))).toBe("half a thought שלום");
    expect(drafts.get(draftKey(space, "Tasks"))).toBe("buy seed potatoes");
    expect(drafts.get(draftKey(space, "discussion", "abc"))).toBe("a reply");
    drafts.set(draftKey(space, "Chat"), "");
    await written(drafts);
    await store.close();

    store = await openStore(dir, key);
    drafts = await Drafts.open(store);
    expect(drafts.get(draftKey(space, "Chat"))).toBe("");
    expect(await store.list("draft/")).toHaveLength(2);
    await store.close();
  });

  it("name every draft with a key the store accepts", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.option(fc.string(), { nil: undefined }),
        (s, t, u) => {
          expect(() => checkKey(draftKey(s || "x", t || "y", u))).not.toThrow();
        },
      ),
    );
  });
});
