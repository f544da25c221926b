import { beforeAll, describe, expect, it } from "vitest";
import { alice, bob, EPOCH_KEY, SPACE_ID, seqBytes } from "../../test/fixtures.js";
import { EnvelopeKind } from "../wire/envelope.js";
import { type Ed25519Backend, ed25519 } from "./ed25519.js";
import type { OpenOptions } from "./envelope.js";
import { EnvelopeWriter } from "./envelope-writer.js";
import { CryptoError } from "./errors.js";
import { openBatch } from "./hash-chain.js";

let backend: Ed25519Backend;
let verifies = 0;
beforeAll(async () => {
  const real = await ed25519();
  // Counts calls into the real backend; every check still runs.
  backend = {
    name: real.name,
    sign: real.sign,
    verify: (...args) => {
      verifies++;
      return real.verify(...args);
    },
  };
});

async function run(author: typeof alice.device.sign, count: number): Promise<Uint8Array[]> {
  const writer = new EnvelopeWriter(SPACE_ID, author, backend);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++)
    out.push(await writer.seal(EnvelopeKind.update, seqBytes(20, i), 0, EPOCH_KEY));
  return out;
}

const opts = (): OpenOptions => ({
  backend,
  keyForEpoch: () => EPOCH_KEY,
  spaceId: SPACE_ID,
});

describe("catch-up by hash chain", () => {
  it("opens two interleaved author runs with one signature check per run", async () => {
    const a = await run(alice.device.sign, 300);
    const b = await run(bob.device.sign, 200);
    const batch = a.flatMap((env, i) => (b[i] ? [env, b[i]] : [env]));
    verifies = 0;
    const results = await openBatch(batch, opts());
    expect(results.every((r) => !(r instanceof CryptoError))).toBe(true);
    expect(verifies).toBe(2);
  });

  it("a forged envelope inside a run is rejected and the genuine ones still open", async () => {
    const envelopes = await run(alice.device.sign, 10);
    const forged = envelopes[4]!.slice();
    forged[forged.length - 70]! ^= 1; // ciphertext byte
    envelopes[4] = forged;
    const results = await openBatch(envelopes, opts());
    const codes = results.map((r) => (r instanceof CryptoError ? r.code : "ok"));
    expect(codes).toEqual(["ok", "ok", "ok", "ok", "BAD_SIGNATURE", "ok", "ok", "ok", "ok", "ok"]);
  });

  it("a run whose closing signature is bad is checked envelope by envelope", async () => {
    const envelopes = await run(alice.device.sign, 5);
    const last = envelopes[4]!.slice();
    last[last.length - 1]! ^= 1; // signature byte: links still hold
    envelopes[4] = last;
    const results = await openBatch(envelopes, opts());
    expect(results.map((r) => (r instanceof CryptoError ? r.code : "ok"))).toEqual([
      "ok",
      "ok",
      "ok",
      "ok",
      "BAD_SIGNATURE",
    ]);
  });

  it("reports undecodable input in its slot without failing the batch", async () => {
    const envelopes = await run(alice.device.sign, 3);
    const results = await openBatch([envelopes[0]!, seqBytes(7), envelopes[1]!], opts());
    expect((results[1] as CryptoError).code).toBe("BAD_FORMAT");
    expect(results[0]).not.toBeInstanceOf(CryptoError);
    expect(results[2]).not.toBeInstanceOf(CryptoError);
  });
});
