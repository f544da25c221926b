import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../core/crypto/bytes.js";
import { ed25519, naclEd25519 } from "../../core/crypto/ed25519.js";
import { openEnvelope } from "../../core/crypto/envelope.js";
import { verifyCertificate } from "../../core/crypto/identity.js";
import { decodeCertificate, encodeCertificate } from "../../core/crypto/identity-codec.js";
import { openKeyBox } from "../../core/crypto/key-box.js";
import { decodeFrame, encodeFrame } from "../../core/wire/frame.js";
import { EPOCH_KEY } from "../fixtures.js";
import { buildVectors, type Vectors } from "./generate.js";

const committed: Vectors = JSON.parse(
  readFileSync(new URL("./vectors.json", import.meta.url), "utf8"),
);

describe("known-answer vectors", () => {
  it("regenerating from fixed keys and nonces gives the committed bytes exactly", async () => {
    expect(await buildVectors()).toEqual(committed);
  });

  it("committed envelopes open to their payloads on the detected backend", async () => {
    const backend = await ed25519();
    for (const v of committed.envelopes) {
      const opened = await openEnvelope(fromHex(v.hex), { backend, keyForEpoch: () => EPOCH_KEY });
      expect(toHex(opened.payload)).toBe(v.payloadHex);
      expect(toHex(opened.hash)).toBe(v.hash);
    }
  });

  it("committed frames decode and re-encode to the same bytes", () => {
    for (const v of committed.frames) {
      expect(toHex(encodeFrame(decodeFrame(fromHex(v.hex)))), v.name).toBe(v.hex);
    }
  });

  it("committed identity formats decode, verify and open", async () => {
    const cert = decodeCertificate(fromHex(committed.certificate));
    await verifyCertificate(naclEd25519, cert);
    expect(toHex(encodeCertificate(cert))).toBe(committed.certificate);
    expect(cert.name).toBe("Alice's laptop");
    const key = openKeyBox(fromHex(committed.keyBox.hex), fromHex(committed.keyBox.recipientSecret));
    expect(toHex(key)).toBe(committed.keyBox.key);
  });
});
