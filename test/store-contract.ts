/**
 * What every Store promises (core/store/store.ts), as one list of cases run
 * against each implementation: FileStore and the memory store in Node
 * (test/store-contract.test.ts), IdbStore in Chromium (test/e2e/idb-store.spec.ts,
 * through test/e2e/pages/store-page.ts), each bare and under EncryptedStore.
 *
 * The cases import no test framework and nothing of Node, so the same code
 * runs in a page; a broken promise throws ContractError with what was
 * expected and what came back. What only one backend does (files on disk,
 * IndexedDB's raw records, damage to the bytes at rest) stays in that
 * backend's own tests.
 */
import { getMany, readPrefix, type Store, StoreError } from "../core/store/store.js";

export interface StoreHarness {
  /** A fresh, empty store. Each case calls it once. */
  open(): Promise<Store>;
  /**
   * The same store opened again after `close`, holding what was written:
   * absent for a store that keeps nothing past close (the memory store).
   */
  reopen?(): Promise<Store>;
}

export class ContractError extends Error {
  override readonly name = "ContractError";
}

export interface StoreCase {
  name: string;
  run(h: StoreHarness): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (text: string) => enc.encode(text);
const text = (value: Uint8Array | undefined) =>
  value === undefined ? undefined : dec.decode(value);

function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new ContractError(`${what}: expected ${e}, got ${a}`);
}

/** The StoreError code a call fails with, or "OK". */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    if (err instanceof StoreError) return err.code;
    throw new ContractError(`expected a StoreError, got ${String(err)}`);
  }
}

const BAD_KEYS = ["", "..\\etc/passwd", "a b", "x".repeat(121), "é", "a\nb"];

export const storeContract: StoreCase[] = [
  {
    name: "puts, gets, lists by prefix in sorted order and deletes",
    async run(h) {
      const store = await h.open();
      for (const [key, value] of [
        ["space/b/meta", "b"],
        ["space/a/log/2", "two"],
        ["space/ab", "ab"],
        ["space/a/log/1", "one"],
      ]) {
        await store.put(key as string, bytes(value as string));
      }
      same(await store.list("space/a/"), ["space/a/log/1", "space/a/log/2"], "list space/a/");
      same(
        await store.list(""),
        ["space/a/log/1", "space/a/log/2", "space/ab", "space/b/meta"],
        "list everything",
      );
      same(await store.list("nothing/"), [], "list of no match");
      same(text(await store.get("space/a/log/1")), "one", "get");
      same(await store.get("absent"), undefined, "get of an absent key");
      await store.delete("space/a/log/1");
      await store.delete("absent");
      same(await store.get("space/a/log/1"), undefined, "get after delete");
      same(await store.list("space/a/"), ["space/a/log/2"], "list after delete");
      await store.put("space/ab", bytes("replaced"));
      same(text(await store.get("space/ab")), "replaced", "get after overwrite");
      await store.close();
    },
  },
  {
    name: "sorts keys by their characters, whatever order they were written in",
    async run(h) {
      const store = await h.open();
      const keys = ["k/b", "k/B", "k/a", "k/a.", "k/a-", "k/a/", "k/a_", "k/9", "k/a0", "k/Z"];
      for (const key of keys) await store.put(key, bytes(key));
      same(await store.list("k/"), [...keys].sort(), "list order");
      await store.close();
    },
  },
  {
    name: "keeps what it was given: only a view's bytes, unchanged by later writes to the caller's array",
    async run(h) {
      const store = await h.open();
      const whole = bytes("HIDDEN-visible-HIDDEN");
      await store.put("view", whole.subarray(7, 14));
      const mine = bytes("original");
      await store.put("copy", mine);
      mine.fill(0);
      await store.putMany([["batch", mine.subarray(0, 3)]]);
      mine.fill(1);
      same(text(await store.get("view")), "visible", "a view's bytes");
      same(text(await store.get("copy")), "original", "bytes changed after put");
      same([...((await store.get("batch")) ?? [])], [0, 0, 0], "bytes changed after putMany");
      const read = await store.get("copy");
      read?.fill(0);
      same(text(await store.get("copy")), "original", "bytes a reader changed");
      await store.put("empty", new Uint8Array(0));
      same((await store.get("empty"))?.length, 0, "an empty value");
      await store.close();
    },
  },
  {
    name: "writes a batch, keeping the last value of a key given twice",
    async run(h) {
      const store = await h.open();
      await store.put("log/0", bytes("before"));
      await store.putMany([
        ["log/1", bytes("one")],
        ["log/2", bytes("two")],
        ["log/0", bytes("replaced")],
        ["log/1", bytes("one, last")],
        ["other/x", bytes("x")],
      ]);
      await store.putMany([]);
      same(await store.list("log/"), ["log/0", "log/1", "log/2"], "list after the batch");
      same(text(await store.get("log/0")), "replaced", "a key written before the batch");
      same(text(await store.get("log/1")), "one, last", "a key given twice");
      await store.close();
    },
  },
  {
    name: "takes values at and past the record size it names (a hint, not a limit), byte for byte",
    async run(h) {
      const store = await h.open();
      const named = store.recordBytes;
      if (named !== undefined && !(Number.isInteger(named) && named > 0)) {
        throw new ContractError(`recordBytes: expected a positive integer, got ${named}`);
      }
      // Past IndexedDB's blob threshold (64 KiB) where a store names no size.
      const size = named ?? 100_000;
      const pastSize = Math.max(size + 1000, 100_000);
      const fill = (n: number, seed: number) => {
        const value = new Uint8Array(n);
        for (let i = 0; i < n; i++) value[i] = (i * 31 + seed) & 0xff;
        return value;
      };
      const at = fill(size, 1);
      // Past it and past the blob threshold both, where a store names less (IndexedDB).
      const past = fill(pastSize, 2);
      await store.putMany([
        ["big/at", at],
        ["big/past", past],
      ]);
      await store.put("big/alone", past);
      for (const [key, value] of [
        ["big/at", at],
        ["big/past", past],
        ["big/alone", past],
      ] as const) {
        const back = await store.get(key);
        if (!back || back.length !== value.length || back.some((b, i) => b !== value[i])) {
          throw new ContractError(`${key}: ${value.length} bytes written, not read back alike`);
        }
      }
      await store.close();
    },
  },
  {
    name: "deletes a batch, leaves the other records, and ignores keys that are not there",
    async run(h) {
      const store = await h.open();
      await store.putMany(Array.from({ length: 40 }, (_, i) => [`log/${i}`, bytes(`${i}`)]));
      await store.put("checkpoint", bytes("c"));
      await store.deleteMany([...Array.from({ length: 39 }, (_, i) => `log/${i}`), "log/none"]);
      await store.deleteMany([]);
      same(await store.list(""), ["checkpoint", "log/39"], "list after deleteMany");
      same(text(await store.get("log/39")), "39", "the record left");
      await store.close();
    },
  },
  {
    name: "reads many records in one call: each slot its record or nothing",
    async run(h) {
      const store = await h.open();
      await store.putMany([
        ["a", bytes("A")],
        ["c", bytes("C")],
      ]);
      const got = await getMany(store, ["a", "none", "c", "a"]);
      same(
        got.map((v) => (v instanceof Uint8Array ? text(v) : v === undefined ? null : v.code)),
        ["A", null, "C", "A"],
        "getMany slots",
      );
      same(await codeOf(getMany(store, ["a", "not a key!"])), "BAD_KEY", "getMany of a bad key");
      await store.close();
    },
  },
  {
    name: "reads every record under a prefix, sorted by key, and nothing of other prefixes",
    async run(h) {
      const store = await h.open();
      await store.putMany([
        ["l/c", bytes("C")],
        ["l/a", bytes("A")],
        ["m/a", bytes("other")],
        ["l/b", bytes("B")],
      ]);
      await store.delete("l/b");
      const got = await readPrefix(store, "l/");
      same(
        got.map(({ key, value }) => [key, value instanceof Uint8Array ? text(value) : value.code]),
        [
          ["l/a", "A"],
          ["l/c", "C"],
        ],
        "readPrefix",
      );
      same(await readPrefix(store, "none/"), [], "readPrefix of an empty prefix");
      await store.close();
    },
  },
  {
    name: "refuses keys that are not plain names with BAD_KEY, and a whole batch for one of them",
    async run(h) {
      const store = await h.open();
      await store.put("keep", bytes("k"));
      for (const bad of BAD_KEYS) {
        same(await codeOf(store.put(bad, bytes("v"))), "BAD_KEY", `put ${JSON.stringify(bad)}`);
        same(await codeOf(store.get(bad)), "BAD_KEY", `get ${JSON.stringify(bad)}`);
        same(await codeOf(store.delete(bad)), "BAD_KEY", `delete ${JSON.stringify(bad)}`);
      }
      const batch: [string, Uint8Array][] = [
        ["good/1", bytes("1")],
        ["bad key", bytes("2")],
        ["good/3", bytes("3")],
      ];
      same(await codeOf(store.putMany(batch)), "BAD_KEY", "putMany with one bad key");
      same(await codeOf(store.deleteMany(["keep", "é"])), "BAD_KEY", "deleteMany with one bad key");
      same(await store.list(""), ["keep"], "nothing of a refused batch");
      // Any name of the allowed characters is a key, dots and slashes included.
      await store.put("../up", bytes("v"));
      same(await store.list("../"), ["../up"], "a key with dots and slashes");
      await store.put("x".repeat(120), bytes("long"));
      same(text(await store.get("x".repeat(120))), "long", "a key of 120 characters");
      await store.close();
    },
  },
  {
    name: "refuses every call after close with STORE_CLOSED",
    async run(h) {
      const store = await h.open();
      await store.put("a", bytes("A"));
      await store.close();
      same(await codeOf(store.put("b", bytes("B"))), "STORE_CLOSED", "put");
      same(await codeOf(store.get("a")), "STORE_CLOSED", "get");
      same(await codeOf(store.delete("a")), "STORE_CLOSED", "delete");
      same(await codeOf(store.list("")), "STORE_CLOSED", "list");
      same(await codeOf(store.putMany([["a", bytes("a")]])), "STORE_CLOSED", "putMany");
      same(await codeOf(store.deleteMany(["a"])), "STORE_CLOSED", "deleteMany");
      same(await codeOf(getMany(store, ["a"])), "STORE_CLOSED", "getMany");
    },
  },
  {
    name: "keeps what was written, and not what was deleted, across close and reopen",
    async run(h) {
      const store = await h.open();
      await store.put("log/0", bytes("zero"));
      await store.putMany([
        ["log/1", bytes("one")],
        ["log/2", bytes("two")],
        ["meta", bytes("m")],
      ]);
      await store.delete("log/0");
      await store.deleteMany(["log/2"]);
      await store.close();
      if (!h.reopen) return;
      const again = await h.reopen();
      same(await again.list(""), ["log/1", "meta"], "list after reopening");
      same(text(await again.get("log/1")), "one", "a record after reopening");
      same(await again.get("log/0"), undefined, "a deleted record after reopening");
      await again.close();
    },
  },
];
