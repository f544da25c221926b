/**
 * A device killed (SIGKILL) in the middle of a catch-up on files keeps every
 * batch it had acknowledged: a received batch's receive resolves (and the
 * engine acks it to the relay) only once its log record is written and
 * renamed into place, and each record is whole or absent. Restarted on the
 * same files, the space opens with no damaged record, holds every envelope of
 * every acked batch (a resend of one is all duplicates) and shows them.
 *
 * A kill -9 takes the process, not the kernel's page cache, so this checks
 * the order of rename and ack and the temp-file scheme, not the fsyncs.
 */
import { spawn } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { ed25519 } from "../core/crypto/ed25519.js";
import { Space } from "../core/space/space.js";
import { EncryptedStore } from "../core/store/encrypted-store.js";
import { MemoryStore } from "../core/store/memory-store.js";
import { FileStore } from "../core/store/node-file-store.js";
import type { ReceiverSpec } from "./receiver-process.js";
import { removeDir, tempDir, waitFor } from "./relay-harness.js";
import { spaceFor } from "./sync-harness.js";

const ROOT = new URL("..", import.meta.url).pathname;
const STORAGE_KEY = new Uint8Array(32).fill(5);
/** 24 batches of 60 envelopes of about 1 KB: each batch past 48 KiB, one record on files. */
const BATCHES = 24;
const PER_BATCH = 60;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

it("a device killed mid catch-up keeps every batch it acked, each record whole", async () => {
  const fixture = spaceFor(2);
  const author = fixture.members[0];
  const receiver = fixture.members[1];
  if (!author || !receiver) throw new Error("two members");
  const backend = await ed25519();
  const envelopes: Uint8Array[] = [];
  const writer = await Space.open({
    access: fixture.access(),
    device: author,
    backend,
    store: new MemoryStore(),
    dispatch: async (out) => void envelopes.push(out.envelope),
  });
  const texts = Array.from({ length: BATCHES * PER_BATCH }, (_, i) => `${i} ${"m".repeat(900)}`);
  for (const text of texts) await writer.edit((doc) => doc.getArray("chat").push([text]));
  await writer.close();
  const batches = Array.from({ length: BATCHES }, (_, b) =>
    envelopes.slice(b * PER_BATCH, (b + 1) * PER_BATCH),
  );

  const dir = tempDir("grove-crash-receive-");
  dirs.push(dir);
  const spec: ReceiverSpec = {
    dir: join(dir, "store"),
    storageKey: toHex(STORAGE_KEY),
    spaceId: toHex(fixture.spaceId),
    epochKey: toHex(fixture.epochKey),
    members: fixture.members.map((m) => ({
      publicKey: toHex(m.publicKey),
      secretKey: toHex(m.secretKey),
    })),
    batches: batches.map((batch) => batch.map(toHex)),
  };
  const specFile = join(dir, "spec.json");
  writeFileSync(specFile, JSON.stringify(spec));
  const child = spawn(process.execPath, ["--import", "tsx", "test/receiver-process.ts"], {
    cwd: ROOT,
    env: { ...process.env, GROVE_TEST_RECEIVER: specFile },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => lines.push(...chunk.toString().split("\n")));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const durable = () => lines.filter((l) => l.startsWith("durable ")).length;
  // Killed with batches still coming: acked ones behind it, writes in flight.
  await waitFor(() => durable() >= 3, "three batches acked", 30_000);
  child.kill("SIGKILL");
  await exited;
  const acked = lines.filter((l) => l.startsWith("durable ")).map((l) => Number(l.slice(8)));
  expect(lines.filter((l) => l.startsWith("failed "))).toEqual([]);
  expect(acked.length).toBeGreaterThanOrEqual(3);

  const again = await Space.open({
    access: fixture.access(),
    device: receiver,
    backend,
    store: new EncryptedStore(await FileStore.open(spec.dir), STORAGE_KEY),
    dispatch: async () => {},
  });
  // Whole or absent: no record is damaged, and no write left half-done behind.
  expect(again.corruptRecords).toEqual([]);
  expect(readdirSync(spec.dir).filter((n) => !n.endsWith(".rec"))).toEqual([]);
  const shown = new Set(again.doc.getArray<string>("chat").toJSON() as string[]);
  for (const b of acked) {
    for (let i = b * PER_BATCH; i < (b + 1) * PER_BATCH; i++) {
      expect(shown.has(texts[i] ?? ""), `message ${i} of acked batch ${b}`).toBe(true);
    }
    const before = again.stats.duplicates;
    await again.receive(batches[b] ?? []);
    expect(again.stats.duplicates - before, `batch ${b} sent again`).toBe(PER_BATCH);
  }
  expect(again.stats.accepted).toBe(0);
  await again.close();
});
