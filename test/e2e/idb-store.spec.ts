/**
 * The local Store in Chromium: IndexedDB under EncryptedStore, as the app
 * uses it. It passes the Store contract every backend passes
 * (test/store-contract.ts, run here in the page, bare and encrypted); what
 * only IndexedDB can show is tested here: records survive a page reload,
 * IndexedDB holds no plaintext and only a view's bytes, and a record damaged
 * or moved behind the store's back is reported by name while the rest load.
 */
import { expect, type Page, test } from "@playwright/test";
import { fromHex, toHex, utf8 } from "../../core/crypto/bytes.js";
import { storeContract } from "../store-contract.js";
import { bundleForBrowser } from "./browser.js";
import { callPage, pageFiles } from "./page-api.js";
import type { Outcome, StoreApi } from "./pages/store-page.js";
import { type StaticServer, serveStatic } from "./static-server.js";

let pages: StaticServer;
test.beforeAll(async () => {
  const script = await bundleForBrowser(new URL("./pages/store-page.ts", import.meta.url).pathname);
  pages = await serveStatic(pageFiles("store", script));
});
test.afterAll(async () => {
  await pages?.close();
});

async function openPage(page: Page): Promise<void> {
  await page.goto(`${pages.origin}/store.html`);
  await page.waitForFunction(() => "grove" in globalThis);
}

/** Calls the page's `grove` API. Each test has a fresh context, so a fresh origin storage. */
function grove<M extends keyof StoreApi>(
  page: Page,
  method: M,
  ...args: Parameters<StoreApi[M]>
): Promise<Awaited<ReturnType<StoreApi[M]>>> {
  return callPage<StoreApi, M>(page, method, ...args);
}

const codeOf = (outcome: Outcome<unknown>) => ("ok" in outcome ? "OK" : outcome.code);
const DB = "grove-store";

test.beforeEach(async ({ page }) => {
  await openPage(page);
});

test("puts, gets, lists by prefix and deletes; keeps records across a page reload", async ({
  page,
}) => {
  await grove(page, "open", DB);
  for (const [key, text] of [
    ["space/a/log/1", "one"],
    ["space/a/log/2", "two"],
    ["space/ab", "ab"],
    ["space/b/meta", "b"],
  ] as const) {
    expect(await grove(page, "put", key, text)).toEqual({ ok: undefined });
  }
  expect(await grove(page, "list", "space/a/")).toEqual({ ok: ["space/a/log/1", "space/a/log/2"] });
  expect(await grove(page, "get", "space/a/log/1")).toEqual({ ok: "one" });
  expect(await grove(page, "delete", "space/a/log/1")).toEqual({ ok: undefined });
  expect(await grove(page, "get", "space/a/log/1")).toEqual({ ok: undefined });

  await page.reload();
  await page.waitForFunction(() => "grove" in globalThis);
  await grove(page, "open", DB);
  expect(await grove(page, "list", "space/")).toEqual({
    ok: ["space/a/log/2", "space/ab", "space/b/meta"],
  });
  expect(await grove(page, "get", "space/a/log/2")).toEqual({ ok: "two" });
  expect(await grove(page, "get", "space/a/log/1")).toEqual({ ok: undefined });
  expect(await grove(page, "list", "nothing/")).toEqual({ ok: [] });
});

test("keeps no plaintext in IndexedDB", async ({ page }) => {
  await grove(page, "open", DB);
  await grove(page, "put", "notes/secret-title", "MARKER-PLAINTEXT-4711");
  const records = await grove(page, "rawRecords");
  // Key names are IndexedDB keys, as they are file names on disk; values must give nothing away.
  expect(records.map((r) => r.key)).toEqual(["notes/secret-title"]);
  for (const { hex } of records) {
    const bytes = Buffer.from(fromHex(hex)).toString("latin1");
    expect(bytes).not.toContain("MARKER-PLAINTEXT");
    expect(bytes).not.toContain("secret-title");
  }
});

test("reports a damaged record by name and still loads the others", async ({ page }) => {
  await grove(page, "open", DB);
  await grove(page, "put", "a", "A");
  await grove(page, "put", "b", "B");
  const b = fromHex((await grove(page, "rawRecords")).find((r) => r.key === "b")?.hex ?? "");
  b[b.length - 1] = (b[b.length - 1] ?? 0) ^ 1;
  await grove(page, "rawPut", "b", toHex(b));

  const loaded: string[] = [];
  const failed: Outcome<unknown>[] = [];
  const keys = await grove(page, "list", "");
  for (const key of "ok" in keys ? keys.ok : []) {
    const outcome = await grove(page, "get", key);
    if ("ok" in outcome) loaded.push(key);
    else failed.push(outcome);
  }
  expect(loaded).toEqual(["a"]);
  expect(failed).toEqual([{ code: "CORRUPT_RECORD", key: "b" }]);
});

test("reads many records in one call: each slot its record, nothing, or its own damage", async ({
  page,
}) => {
  await grove(page, "open", `${DB}-many`);
  await grove(page, "putMany", [
    ["a", "A"],
    ["b", "B"],
    ["c", "C"],
  ]);
  const b = fromHex((await grove(page, "rawRecords")).find((r) => r.key === "b")?.hex ?? "");
  b[b.length - 1] = (b[b.length - 1] ?? 0) ^ 1;
  await grove(page, "rawPut", "b", toHex(b));
  expect(await grove(page, "getMany", ["a", "b", "c", "none"])).toEqual({
    ok: ["A", { code: "CORRUPT_RECORD", key: "b" }, "C", null],
  });
  await grove(page, "openPlain", `${DB}-many-plain`);
  await grove(page, "putMany", [["x", "X"]]);
  expect(await grove(page, "getMany", ["x", "y"])).toEqual({ ok: ["X", null] });
});

test("reads every record under a prefix in one read: sorted, each its text or its own damage", async ({
  page,
}) => {
  await grove(page, "open", `${DB}-prefix`);
  await grove(page, "putMany", [
    ["l/c", "C"],
    ["l/a", "A"],
    ["l/b", "B"],
    ["m/a", "other"],
  ]);
  const b = fromHex((await grove(page, "rawRecords")).find((r) => r.key === "l/b")?.hex ?? "");
  b[b.length - 1] = (b[b.length - 1] ?? 0) ^ 1;
  await grove(page, "rawPut", "l/b", toHex(b));
  expect(await grove(page, "readPrefix", "l/")).toEqual({
    ok: [
      { key: "l/a", text: "A" },
      { key: "l/b", code: "CORRUPT_RECORD" },
      { key: "l/c", text: "C" },
    ],
  });
  expect(await grove(page, "readPrefix", "none/")).toEqual({ ok: [] });
});

test("a batch with a value IndexedDB refuses as it is put writes none of its records", async ({
  page,
}) => {
  await grove(page, "openPlain", `${DB}-whole`);
  // The second record's buffer is gone: its put throws, after the first's was made.
  const refused = await grove(
    page,
    "putManyDetached",
    [
      ["a", "A"],
      ["b", "B"],
      ["c", "C"],
    ],
    1,
  );
  expect(refused).toMatchObject({ code: "STORE_IO" });
  // Readwrite transactions on one store run in order: once this one is done, the batch's
  // transaction has committed or aborted.
  expect(await grove(page, "put", "z", "Z")).toEqual({ ok: undefined });
  expect(await grove(page, "list", "")).toEqual({ ok: ["z"] });
});

test("a received batch is logged in sealed records of 48-60 KiB: under the sizes Chromium makes costly, fewer than at 48", async ({
  page,
}) => {
  await grove(page, "open", `${DB}-log`);
  // 200 KB of 330-byte envelopes, as a catch-up's batch of chat messages.
  const { named, lengths, envelopes } = await grove(page, "logBatch", 600, 330);
  // IdbStore names 56 KiB; sealing takes its 29 bytes off (EncryptedStore).
  expect(named).toBe(56 * 1024 - 29);
  expect(lengths.length).toBe(4);
  // Every record but the batch's last is full (IndexedDB gives them in key order: sort by size).
  for (const length of [...lengths].sort((a, b) => b - a).slice(0, -1)) {
    // Past the space log's own 48 KiB: the store's size was taken.
    expect(length).toBeGreaterThan(48 * 1024);
    // Under the ~60 KiB where a private window's IndexedDB costs half as much again per byte,
    // and under the 64 KiB where Chromium moves a value out into a blob (decision 175).
    expect(length).toBeLessThan(58 * 1024);
  }
  // And read back whole after a reload: every envelope, once.
  await page.reload();
  await page.waitForFunction(() => "grove" in globalThis);
  await grove(page, "open", `${DB}-log`);
  expect(await grove(page, "logged")).toEqual(envelopes);
});

test("refuses a record moved under another name, and records under another storage key", async ({
  page,
}) => {
  await grove(page, "open", DB);
  await grove(page, "put", "role", "reader");
  await grove(page, "put", "other", "admin");
  const other = (await grove(page, "rawRecords")).find((r) => r.key === "other");
  if (!other) throw new Error("no record other");
  await grove(page, "rawPut", "role", other.hex);
  expect(await grove(page, "get", "role")).toEqual({ code: "CORRUPT_RECORD", key: "role" });

  await grove(page, "put", "x", "x");
  await grove(page, "close");
  await grove(page, "open", DB, 8);
  expect(codeOf(await grove(page, "get", "x"))).toBe("CORRUPT_RECORD");
});

test("writes only the bytes of a view, not the rest of its buffer", async ({ page }) => {
  // Structured clone would keep a view's whole buffer in IndexedDB: the store copies.
  await grove(page, "openPlain", DB);
  await grove(page, "putView", "v", "HIDDEN-visible-HIDDEN", 7, 14);
  expect(await grove(page, "rawRecords")).toEqual([{ key: "v", hex: toHex(utf8("visible")) }]);
});

for (const encrypted of [false, true]) {
  for (const c of storeContract) {
    test(`Store contract${encrypted ? ", encrypted" : ""}: ${c.name}`, async ({ page }) => {
      const db = `${DB}-contract-${encrypted ? "enc" : "plain"}`;
      expect(await grove(page, "contract", c.name, encrypted, db)).toBe("ok");
    });
  }
}
