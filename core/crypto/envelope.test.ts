import { beforeAll, describe, expect, it } from "vitest";
import { alice, bob, EPOCH_KEY, filled, SPACE_ID, seqBytes } from "../../test/fixtures.js";
import { decodeEnvelope, EnvelopeKind, RESERVED_ENVELOPE_KINDS } from "../wire/envelope.js";
import { DecodeError } from "../wire/errors.js";
import { equalBytes } from "./bytes.js";
import { type Ed25519Backend, ed25519 } from "./ed25519.js";
import { GENESIS_HASH, type OpenOptions, openEnvelope, sealEnvelope } from "./envelope.js";
import { EnvelopeWriter } from "./envelope-writer.js";
import { CryptoError, type CryptoErrorCode } from "./errors.js";

let backend: Ed25519Backend;
beforeAll(async () => {
  backend = await ed25519();
});

const members = [alice.device.sign.publicKey];
function options(extra: Partial<OpenOptions> = {}): OpenOptions {
  return {
    backend,
    spaceId: SPACE_ID,
    keyForEpoch: (epoch) => (epoch === 0 ? EPOCH_KEY : undefined),
    isAllowed: (author) => members.some((m) => equalBytes(m, author)),
    ...extra,
  };
}

function seal(seq: number, payload = seqBytes(50), author = alice.device.sign, epoch = 0) {
  return sealEnvelope(
    { kind: EnvelopeKind.update, spaceId: SPACE_ID, epoch, seq, prevHash: GENESIS_HASH, payload },
    EPOCH_KEY,
    author,
    backend,
  );
}

async function rejection(bytes: Uint8Array, opts: OpenOptions): Promise<CryptoErrorCode> {
  try {
    await openEnvelope(bytes, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(CryptoError);
    return (err as CryptoError).code;
  }
  throw new Error("envelope opened but should have been rejected");
}

describe("envelopes", () => {
  it("open to the sealed payload and header", async () => {
    const payload = new TextEncoder().encode("the plan for Tuesday");
    const opened = await openEnvelope(await seal(1, payload), options());
    expect(opened.payload).toEqual(payload);
    expect(opened.header.seq).toBe(1);
    expect(opened.header.author).toEqual(alice.device.sign.publicKey);
  });

  it("use a fresh random nonce per seal", async () => {
    const a = await seal(1);
    const b = await seal(1);
    expect(a).not.toEqual(b);
  });

  it("reject a flip of any single bit", async () => {
    const bytes = await seal(1, seqBytes(24));
    const opts = options();
    let rejected = 0;
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const mutated = bytes.slice();
      mutated[bit >> 3]! ^= 1 << (bit & 7);
      await expect(openEnvelope(mutated, opts)).rejects.toBeInstanceOf(CryptoError);
      rejected++;
    }
    expect(rejected).toBe(bytes.length * 8);
  });

  it("reject a wrong epoch key with DECRYPT_FAILED", async () => {
    const code = await rejection(await seal(1), options({ keyForEpoch: () => filled(32, 1) }));
    expect(code).toBe("DECRYPT_FAILED");
  });

  it("reject an epoch this device has no key for with UNKNOWN_EPOCH", async () => {
    expect(await rejection(await seal(1, seqBytes(5), alice.device.sign, 7), options())).toBe(
      "UNKNOWN_EPOCH",
    );
  });

  it("reject an author who is not a member with AUTHOR_NOT_ALLOWED", async () => {
    expect(await rejection(await seal(1, seqBytes(5), bob.device.sign), options())).toBe(
      "AUTHOR_NOT_ALLOWED",
    );
  });

  it("reject an envelope re-labelled with another author with BAD_SIGNATURE", async () => {
    const bytes = await seal(1);
    bytes.set(bob.device.sign.publicKey, 2 + 16 + 1); // version, kind, spaceId, epoch(1 byte)
    expect(await rejection(bytes, options())).toBe("BAD_SIGNATURE");
  });

  it("reject an envelope from another space with WRONG_SPACE", async () => {
    expect(await rejection(await seal(1), options({ spaceId: filled(16, 0) }))).toBe("WRONG_SPACE");
  });

  it("the reserved kinds 3 and 7 are refused as unknown, before any signature check", async () => {
    for (const kind of RESERVED_ENVELOPE_KINDS) {
      const bytes = await seal(1);
      bytes[1] = kind; // the kind byte follows the version
      expect(() => decodeEnvelope(bytes)).toThrow(DecodeError);
      expect(await rejection(bytes, options())).toBe("BAD_FORMAT");
    }
  });

  it("reject bytes that are not an envelope with BAD_FORMAT", async () => {
    expect(await rejection(seqBytes(10), options())).toBe("BAD_FORMAT");
  });

  it("writer chains seqs and hashes", async () => {
    const writer = new EnvelopeWriter(SPACE_ID, alice.device.sign, backend);
    const first = await writer.seal(EnvelopeKind.update, seqBytes(3), 0, EPOCH_KEY);
    const second = await writer.seal(EnvelopeKind.update, seqBytes(3), 0, EPOCH_KEY);
    const a = await openEnvelope(first, options());
    const b = await openEnvelope(second, options());
    expect(b.header.seq).toBe(2);
    expect(b.header.prevHash).toEqual(a.hash);
    expect(writer.current.lastHash).toEqual(b.hash);
  });
});
