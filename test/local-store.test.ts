/**
 * The local Store in Node, where it is files: written atomically, encrypted
 * at rest, and a damaged record reported by name while every other record
 * loads. Batches (putMany, deleteMany) check every key before touching the
 * disk. What every Store promises is tested for all of them alike in
 * test/store-contract.test.ts.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { utf8 } from "../core/crypto/bytes.js";
import { EncryptedStore, RecordCipher } from "../core/store/encrypted-store.js";
import { MemoryStore } from "../core/store/memory-store.js";
import { FileStore, killFileWriter } from "../core/store/node-file-store.js";
import { type Store, StoreError } from "../core/store/store.js";
import { removeDir, tempDir } from "./relay-harness.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});
const KEY = new Uint8Array(32).fill(7);

async function encrypted(dir = tempDir("grove-store-"), key = KEY) {
  dirs.push(dir);
  return { dir, store: new EncryptedStore(await FileStore.open(dir), key) };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return (err as StoreError).code;
  }
}

describe("local store (files, encrypted at rest)", () => {
  it("reads many records in one call: each slot its record, nothing, or its own damage", async () => {
    const { dir, store } = await encrypted();
    await store.putMany([
      ["r/a", utf8("A")],
      ["r/b", utf8("B")],
      ["r/c", utf8("C")],
    ]);
    const file = readdirSync(dir).find((f) => f.startsWith(Buffer.from("r/b").toString("hex")));
    if (!file) throw new Error("no file for r/b");
    const bytes = readFileSync(join(dir, file));
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
    writeFileSync(join(dir, file), bytes);
    const got = await store.getMany(["r/a", "r/b", "r/c", "r/none"]);
    expect(got.map((v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : v))).toEqual([
      "A",
      expect.objectContaining({ code: "CORRUPT_RECORD", key: "r/b" }),
      "C",
      undefined,
    ]);
    expect(await codeOf(store.getMany(["ok", "not a key!"]))).toBe("BAD_KEY");
    // By prefix (FileStore has no range read: listed, then read in one getMany).
    const under = await store.readPrefix("r/");
    expect(
      under.map(({ key, value }) =>
        value instanceof Uint8Array ? [key, new TextDecoder().decode(value)] : [key, value.code],
      ),
    ).toEqual([
      ["r/a", "A"],
      ["r/b", "CORRUPT_RECORD"],
      ["r/c", "C"],
    ]);
    expect(await store.readPrefix("none/")).toEqual([]);
  });

  it("names the record size it writes best, and a value sealed at the size it passes on fills exactly that", async () => {
    const { dir, store } = await encrypted();
    const files = await FileStore.open(dir);
    const sealedBytes = store.recordBytes;
    if (files.recordBytes === undefined || sealedBytes === undefined) {
      throw new Error("a file store names its record size");
    }
    await store.put("log/whole", new Uint8Array(sealedBytes).fill(1));
    expect((await files.get("log/whole"))?.length).toBe(files.recordBytes);
  });

  it("never writes plaintext or key names to disk", async () => {
    const { dir, store } = await encrypted();
    await store.put("notes/secret-title", utf8("MARKER-PLAINTEXT-4711"));
    for (const name of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, name)).toString("latin1");
      expect(bytes).not.toContain("MARKER-PLAINTEXT");
      expect(bytes).not.toContain("secret-title");
    }
  });

  it("reports a damaged record by name and still loads the others", async () => {
    const { dir, store } = await encrypted();
    await store.put("a", utf8("A"));
    await store.put("b", utf8("B"));
    const fileOfB = readdirSync(dir).find((n) => n.startsWith(Buffer.from("b").toString("hex")));
    if (!fileOfB) throw new Error("no file for b");
    const bytes = readFileSync(join(dir, fileOfB));
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
    writeFileSync(join(dir, fileOfB), bytes);

    const loaded: string[] = [];
    const failed: string[] = [];
    for (const key of await store.list("")) {
      try {
        await store.get(key);
        loaded.push(key);
      } catch (err) {
        expect((err as StoreError).code).toBe("CORRUPT_RECORD");
        failed.push((err as StoreError).key!);
      }
    }
    expect(loaded).toEqual(["a"]);
    expect(failed).toEqual(["b"]);
  });

  it("refuses a record moved under another name, and records under another storage key", async () => {
    const { dir, store } = await encrypted();
    await store.put("role", utf8("reader"));
    await store.put("other", utf8("admin"));
    const name = (k: string) => `${Buffer.from(k).toString("hex")}.rec`;
    renameSync(join(dir, name("other")), join(dir, name("role")));
    expect(await codeOf(store.get("role"))).toBe("CORRUPT_RECORD");

    await store.put("x", utf8("x"));
    const wrongKey = new EncryptedStore(await FileStore.open(dir), new Uint8Array(32).fill(8));
    expect(await codeOf(wrongKey.get("x"))).toBe("CORRUPT_RECORD");
  });

  it("drops temp files of writes that never completed", async () => {
    const { dir } = await encrypted();
    writeFileSync(join(dir, `${Buffer.from("k").toString("hex")}.rec.tmp-abc`), "partial");
    const store: Store = await FileStore.open(dir);
    expect(await store.list("")).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("opening a record throws only StoreError on arbitrary and mutated bytes", async () => {
    const cipher = await RecordCipher.create(KEY);
    const sealed = await cipher.seal("k", utf8("value"));
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.tuple(fc.nat(sealed.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const copy = sealed.slice();
        copy[i] = (copy[i] ?? 0) ^ x;
        return copy;
      }),
    );
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        await expect(cipher.open("k", bytes)).rejects.toThrow(StoreError);
      }),
      { numRuns: 5_000 },
    );
    expect(new TextDecoder().decode(await cipher.open("k", sealed))).toBe("value");
    await expect(cipher.open("other", sealed)).rejects.toThrow(StoreError);
  });
});

const text = (bytes: Uint8Array | undefined) => bytes && new TextDecoder().decode(bytes);
const fileOf = (key: string) => `${Buffer.from(key).toString("hex")}.rec`;

describe.each([
  { name: "files", open: (dir: string): Promise<Store> => FileStore.open(dir) },
  {
    name: "files, encrypted at rest",
    open: async (dir: string): Promise<Store> => new EncryptedStore(await FileStore.open(dir), KEY),
  },
])("local store batches ($name)", ({ open }) => {
  async function fresh() {
    const dir = tempDir("grove-store-");
    dirs.push(dir);
    return { dir, store: await open(dir) };
  }

  it("writes a batch as one file per record, a key given twice once", async () => {
    const { dir, store } = await fresh();
    await store.put("log/0", utf8("before"));
    await store.putMany([
      ["log/1", utf8("one")],
      ["log/2", utf8("two")],
      ["log/0", utf8("replaced")],
      ["log/1", utf8("one, last")],
      ["other/x", utf8("x")],
    ]);
    expect(readdirSync(dir).sort()).toEqual(
      ["log/0", "log/1", "log/2", "other/x"].map(fileOf).sort(),
    );
  });

  it("writes a key of 120 characters, the longest there is, within a file name's 255 bytes", async () => {
    const { dir, store } = await fresh();
    const key = "k".repeat(120);
    await store.putMany([[key, utf8("long")]]);
    expect(readdirSync(dir)).toEqual([fileOf(key)]);
    expect(text(await store.get(key))).toBe("long");
  });

  it("deletes a batch's files and leaves the others", async () => {
    const { dir, store } = await fresh();
    await store.putMany(Array.from({ length: 40 }, (_, i) => [`log/${i}`, utf8(`${i}`)]));
    await store.put("checkpoint", utf8("c"));
    await store.deleteMany([...Array.from({ length: 39 }, (_, i) => `log/${i}`), "log/none"]);
    expect(readdirSync(dir).sort()).toEqual([fileOf("checkpoint"), fileOf("log/39")].sort());
  });

  it("refuses a batch with one bad key before the first write: not even a temp file", async () => {
    const { dir, store } = await fresh();
    await store.put("keep", utf8("k"));
    const batch: [string, Uint8Array][] = [
      ["good/1", utf8("1")],
      ["bad key", utf8("2")],
    ];
    expect(await codeOf(store.putMany(batch))).toBe("BAD_KEY");
    expect(readdirSync(dir)).toEqual([fileOf("keep")]);
  });

  it("reports a batch write that fails part-way as STORE_IO for its key and leaves no temp files", async () => {
    const { dir, store } = await fresh();
    // A directory where one record's file should go: its rename cannot succeed.
    mkdirSync(join(dir, fileOf("b/2"), "inside"), { recursive: true });
    const error = await store
      .putMany([
        ["b/1", utf8("1")],
        ["b/2", utf8("2")],
        ["b/3", utf8("3")],
      ])
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StoreError);
    expect([(error as StoreError).code, (error as StoreError).key]).toEqual(["STORE_IO", "b/2"]);
    rmSync(join(dir, fileOf("b/2")), { recursive: true });
    expect(readdirSync(dir).filter((n) => !n.endsWith(".rec"))).toEqual([]);
    // On files a failed batch may leave some of its records, each one whole.
    for (const key of await store.list("b/")) {
      expect(text(await store.get(key))).toBe(key.slice(2));
    }
  });
});

it("seals every record under an IV of its own", async () => {
  const cipher = await RecordCipher.create(KEY);
  const nonces = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    nonces.add(Buffer.from((await cipher.seal("k", utf8("same"))).subarray(1, 13)).toString("hex"));
  }
  expect(nonces.size).toBe(1000);
});

it("seals the same records with node:crypto and WebCrypto: each opens what the other sealed", async () => {
  const node = await RecordCipher.create(KEY, { engine: "node" });
  const web = await RecordCipher.create(KEY, { engine: "webcrypto" });
  expect(node.engineName).toBe("node");
  expect(web.engineName).toBe("webcrypto");
  // The default for a raw key in Node is the synchronous engine.
  expect((await RecordCipher.create(KEY)).engineName).toBe("node");
  await fc.assert(
    fc.asyncProperty(
      fc.stringMatching(/^[A-Za-z0-9._/-]{1,40}$/),
      fc.uint8Array({ maxLength: 2000 }),
      async (key, value) => {
        for (const [from, to] of [
          [node, web],
          [web, node],
        ] as const) {
          const sealed = await from.seal(key, value);
          expect(sealed.length).toBe(1 + 12 + value.length + 16);
          expect(Buffer.from(await to.open(key, sealed))).toEqual(Buffer.from(value));
          await expect(to.open(`${key}x`, sealed)).rejects.toThrow(StoreError);
        }
      },
    ),
    { numRuns: 300 },
  );
});

it("with node:crypto, hands a write to the store under it in the caller's turn (a Space then applies while the disk syncs)", async () => {
  const inner = new MemoryStore();
  const calls: string[] = [];
  const spy: Store = Object.assign(Object.create(inner), {
    put: (key: string, value: Uint8Array) => {
      calls.push(`put ${key}`);
      return inner.put(key, value);
    },
    putMany: (entries: [string, Uint8Array][]) => {
      calls.push(`putMany ${entries.map(([k]) => k).join(",")}`);
      return inner.putMany(entries);
    },
  });
  const store = new EncryptedStore(spy, KEY);
  await store.put("warm", utf8("the cipher is made"));
  calls.length = 0;
  const many = store.putMany([
    ["a", utf8("one")],
    ["b", utf8("two")],
  ]);
  const one = store.put("c", utf8("three"));
  // Nothing awaited yet: both are with the inner store already.
  expect(calls).toEqual(["putMany a,b", "put c"]);
  await Promise.all([many, one]);
  for (const [key, value] of [
    ["a", "one"],
    ["b", "two"],
    ["c", "three"],
  ] as const) {
    expect(new TextDecoder().decode(await store.get(key))).toBe(value);
  }
  // A bad key still rejects the call, and nothing reaches the inner store.
  calls.length = 0;
  await expect(
    store.putMany([
      ["ok", utf8("x")],
      ["bad key", utf8("y")],
    ]),
  ).rejects.toThrow(StoreError);
  expect(calls).toEqual([]);
});

it("seals a batch at once with node:crypto and through a promise with WebCrypto, each opening the other's", async () => {
  const node = await RecordCipher.create(KEY, { engine: "node" });
  const web = await RecordCipher.create(KEY, { engine: "webcrypto" });
  const entries: [string, Uint8Array][] = [
    ["log/1", utf8("one")],
    ["log/2", new Uint8Array(70_000).fill(2)],
  ];
  const now = node.sealAll(entries);
  const later = web.sealAll(entries);
  expect(Array.isArray(now)).toBe(true);
  expect(later).toBeInstanceOf(Promise);
  for (const [from, to] of [
    [await now, web],
    [await later, node],
  ] as const) {
    expect(from.map(([k]) => k)).toEqual(["log/1", "log/2"]);
    for (const [i, [key, sealed]] of from.entries()) {
      expect(Buffer.from(await to.open(key, sealed))).toEqual(Buffer.from(entries[i]?.[1] ?? []));
    }
  }
});

it("refuses every damaged record alike in both engines", async () => {
  const node = await RecordCipher.create(KEY, { engine: "node" });
  const web = await RecordCipher.create(KEY, { engine: "webcrypto" });
  const sealed = await node.seal("k", utf8("value"));
  await fc.assert(
    fc.asyncProperty(fc.nat(sealed.length - 1), fc.integer({ min: 1, max: 255 }), async (i, x) => {
      const copy = sealed.slice();
      copy[i] = (copy[i] ?? 0) ^ x;
      for (const cipher of [node, web]) {
        const err = await cipher.open("k", copy).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreError);
        expect((err as StoreError).code).toBe("CORRUPT_RECORD");
      }
    }),
    { numRuns: 500 },
  );
});

it("fails the writes pending when the writer thread dies, and writes again after", async () => {
  const dir = tempDir("grove-store-");
  dirs.push(dir);
  const store = await FileStore.open(dir);
  await store.put("before", utf8("b"));
  const batch = Array.from({ length: 200 }, (_, i): [string, Uint8Array] => [
    `b/${i}`,
    utf8(`${i}`),
  ]);
  const pending = store.putMany(batch).catch((err: unknown) => err);
  await killFileWriter();
  const error = await pending;
  expect(error).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe("STORE_IO");
  // A new writer takes the next call; what the dead one left half-done is dropped at open.
  await store.put("after", utf8("a"));
  expect(text(await store.get("after"))).toBe("a");
  const reopened = await FileStore.open(dir);
  expect(readdirSync(dir).filter((n) => !n.endsWith(".rec"))).toEqual([]);
  for (const key of await reopened.list("b/"))
    expect(text(await reopened.get(key))).toBe(key.slice(2));
});
