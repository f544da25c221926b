/**
 * Crypto cost against the work it protects: sealing and opening envelopes
 * that carry real Yjs updates, next to applying the same updates to a Y.Doc
 * with no crypto at all, for the WebCrypto and tweetnacl Ed25519 paths; and
 * a 10,000-envelope catch-up verified by hash chain; and the envelope
 * cipher (secretbox) by implementation, libsodium against tweetnacl.
 */
import * as Y from "yjs";
import { type Ed25519Backend, naclEd25519, webCryptoEd25519 } from "../core/crypto/ed25519.js";
import { openEnvelope } from "../core/crypto/envelope.js";
import { EnvelopeWriter } from "../core/crypto/envelope-writer.js";
import { CryptoError } from "../core/crypto/errors.js";
import { openBatch } from "../core/crypto/hash-chain.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { randomBytes } from "../core/crypto/random.js";
import {
  loadSecretbox,
  openSecretbox,
  type SecretboxBackendName,
  sealSecretbox,
  selectSecretbox,
} from "../core/crypto/secretbox.js";
import { EnvelopeKind } from "../core/wire/envelope.js";
import { now, round } from "./timing.js";

const SPACE = new Uint8Array(16).fill(1);
const KEY = new Uint8Array(32).fill(2);

/** Yjs updates of about `size` bytes each, as a chat tool would produce them. */
function makeUpdates(count: number, size: number): Uint8Array[] {
  const doc = new Y.Doc();
  const messages = doc.getArray<Y.Map<unknown>>("chat");
  const updates: Uint8Array[] = [];
  doc.on("update", (u: Uint8Array) => updates.push(u));
  const filler = "x".repeat(Math.max(1, size - 40));
  for (let i = 0; i < count; i++) {
    const m = new Y.Map<unknown>();
    m.set("t", `${i}:${filler}`);
    messages.push([m]);
  }
  return updates;
}

function applyAll(updates: Uint8Array[]): number {
  const start = now();
  const doc = new Y.Doc();
  for (const u of updates) Y.applyUpdate(doc, u);
  return now() - start;
}

async function sealAll(updates: Uint8Array[], backend: Ed25519Backend, authors = 1) {
  const writers = Array.from({ length: authors }, () => {
    const keys = generateDeviceKeys();
    return new EnvelopeWriter(SPACE, keys.sign, backend);
  });
  const out: Uint8Array[] = [];
  for (let i = 0; i < updates.length; i++) {
    out.push(await writers[i % authors]!.seal(EnvelopeKind.update, updates[i]!, 0, KEY));
  }
  return out;
}

async function sealOpenApply(updates: Uint8Array[], backend: Ed25519Backend) {
  const sealStart = now();
  const envelopes = await sealAll(updates, backend);
  const sealMs = now() - sealStart;
  const openStart = now();
  const doc = new Y.Doc();
  const opts = { backend, keyForEpoch: () => KEY };
  for (const e of envelopes) Y.applyUpdate(doc, (await openEnvelope(e, opts)).payload);
  const openApplyMs = now() - openStart;
  return { sealMs, openApplyMs };
}

async function throughput(backend: Ed25519Backend, size: number, count: number) {
  const updates = makeUpdates(count, size);
  const bytes = updates.reduce((n, u) => n + u.length, 0);
  await sealOpenApply(updates.slice(0, Math.min(20, count)), backend); // warm-up
  const yjsMs = Math.min(applyAll(updates), applyAll(updates));
  const { sealMs, openApplyMs } = await sealOpenApply(updates, backend);
  const totalMs = sealMs + openApplyMs;
  return {
    payloadBytes: size,
    envelopes: count,
    meanUpdateBytes: round(bytes / count, 0),
    sealPerSec: round((count / sealMs) * 1000, 0),
    openAndApplyPerSec: round((count / openApplyMs) * 1000, 0),
    sealPlusOpenMBps: round(bytes / 1e6 / (totalMs / 1000)),
    sealPlusOpenEnvelopesPerSec: round((count / totalMs) * 1000, 0),
    yjsApplyOnlyPerSec: round((count / yjsMs) * 1000, 0),
    ratioCryptoToYjsApply: round(totalMs / yjsMs, 1),
  };
}

interface CatchUpInput {
  updates: Uint8Array[];
  envelopes: Uint8Array[];
  authors: number;
}

/** Envelopes are sealed once (Ed25519 is deterministic, so either backend signs the same bytes). */
async function catchUpInput(count: number, authors: number): Promise<CatchUpInput> {
  const updates = makeUpdates(count, 100);
  const envelopes = await sealAll(updates, webCryptoEd25519(globalThis.crypto.subtle), authors);
  return { updates, envelopes, authors };
}

async function catchUp(backend: Ed25519Backend, { updates, envelopes, authors }: CatchUpInput) {
  const count = envelopes.length;
  const yjsMs = Math.min(applyAll(updates), applyAll(updates), applyAll(updates));
  let verifies = 0;
  const counting: Ed25519Backend = {
    name: backend.name,
    sign: backend.sign,
    verify: (...a) => {
      verifies++;
      return backend.verify(...a);
    },
  };
  const runOnce = async () => {
    const start = now();
    const doc = new Y.Doc();
    const results = await openBatch(envelopes, {
      backend: counting,
      keyForEpoch: () => KEY,
    });
    for (const r of results) {
      if (r instanceof CryptoError) throw r;
      Y.applyUpdate(doc, r.payload);
    }
    return now() - start;
  };
  await runOnce();
  verifies = 0;
  const ms = Math.min(await runOnce(), await runOnce(), await runOnce());
  return {
    envelopes: count,
    authors,
    signatureChecksPerRun: verifies / 3,
    catchUpMs: round(ms, 1),
    yjsApplyOnlyMs: round(yjsMs, 1),
    ratioToYjsApply: round(ms / yjsMs, 2),
    goalRatio: 2,
  };
}

/** Best of 5 runs of `work`, after two warm-ups, in ms. */
function best(work: () => void): number {
  work();
  work();
  let ms = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const start = now();
    work();
    ms = Math.min(ms, now() - start);
  }
  return ms;
}

/**
 * The envelope cipher alone, per implementation: 10,000 envelope-sized
 * boxes (250-350 B, as chat and typing deltas are) sealed and opened, and
 * one 3 MB box (a large snapshot or blob chunk).
 */
async function secretboxes() {
  const key = randomBytes(32);
  const messages = Array.from({ length: 10_000 }, (_, i) => randomBytes(250 + (i % 101)));
  const nonce = randomBytes(24);
  const large = randomBytes(3_000_000);
  const boxes = messages.map((m) => sealSecretbox(m, randomBytes(24), key));
  const largeBox = sealSecretbox(large, nonce, key);
  const measure = (name: SecretboxBackendName) => {
    const before = selectSecretbox(name);
    try {
      return {
        seal10kMs: round(
          best(() => {
            for (const m of messages) sealSecretbox(m, nonce, key);
          }),
          1,
        ),
        open10kMs: round(
          best(() => {
            for (const b of boxes) if (!openSecretbox(b, key)) throw new Error("did not open");
          }),
          1,
        ),
        open3MBMs: round(
          best(() => {
            if (!openSecretbox(largeBox, key)) throw new Error("did not open");
          }),
          1,
        ),
      };
    } finally {
      selectSecretbox(before);
    }
  };
  const libsodium = measure("libsodium");
  const tweetnacl = measure("tweetnacl");
  return {
    libsodium,
    tweetnacl,
    open10kRatio: round(libsodium.open10kMs / tweetnacl.open10kMs, 2),
  };
}

export async function runCryptoBench() {
  // Every figure with the cipher the app uses; `secretbox` holds the two side by side.
  const cipher = await loadSecretbox();
  const webcrypto = webCryptoEd25519(globalThis.crypto.subtle);
  const sizes = [100, 1024, 64 * 1024];
  const fast = [];
  for (const size of sizes) fast.push(await throughput(webcrypto, size, size > 4096 ? 300 : 3000));
  // tweetnacl signs and verifies in milliseconds; fewer envelopes keep the run short.
  const reference = [];
  for (const size of sizes)
    reference.push(await throughput(naclEd25519, size, size > 4096 ? 30 : 60));
  const input = await catchUpInput(10_000, 3);
  return {
    throughput: { webcrypto: fast, tweetnacl: reference },
    catchUp: {
      webcrypto: await catchUp(webcrypto, input),
      tweetnacl: await catchUp(naclEd25519, input),
    },
    secretbox: await secretboxes(),
    notes: `Node (node:crypto WebCrypto; secretbox: ${cipher}). Ratios are Grove time / applying the same Yjs updates with no crypto. Catch-up verifies one signature per author run, a hash per envelope. secretbox: best of 5 per implementation, same boxes; open10kRatio = libsodium / tweetnacl.`,
  };
}
