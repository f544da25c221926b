/**
 * Builds the known-answer vectors: fixed keys and nonces in, exact bytes
 * out. `npx tsx test/vectors/generate.ts > test/vectors/vectors.json`
 * regenerates them; do that only for a deliberate format change, since the
 * point of the file is that the formats cannot drift unnoticed.
 */
import { toHex } from "../../core/crypto/bytes.js";
import { type Ed25519Backend, naclEd25519 } from "../../core/crypto/ed25519.js";
import { GENESIS_HASH, envelopeHash, sealEnvelopeWithNonce } from "../../core/crypto/envelope.js";
import { certifyDevice } from "../../core/crypto/identity.js";
import { encodeCertificate } from "../../core/crypto/identity-codec.js";
import { sealKeyBoxWith } from "../../core/crypto/key-box.js";
import { fingerprint, safetyNumber } from "../../core/crypto/safety-number.js";
import { EnvelopeKind } from "../../core/wire/envelope.js";
import { encodeFrame } from "../../core/wire/frame.js";
import type { Frame } from "../../core/wire/frame-types.js";
import { alice, bob, EPOCH_KEY, filled, SPACE_ID, seqBytes } from "../fixtures.js";

export interface Vectors {
  envelopes: { name: string; hex: string; payloadHex: string; hash: string }[];
  frames: { name: string; hex: string }[];
  certificate: string;
  keyBox: { recipientSecret: string; key: string; hex: string };
  safetyNumber: { alice: string; bob: string; pair: string };
}

/** Signing through any backend must give the same bytes: Ed25519 is deterministic. */
export async function buildVectors(backend: Ed25519Backend = naclEd25519): Promise<Vectors> {
  const nacl = backend;
  const payload1 = new TextEncoder().encode("hello, grove");
  const env1 = await sealEnvelopeWithNonce(
    { kind: EnvelopeKind.update, spaceId: SPACE_ID, epoch: 0, seq: 1, prevHash: GENESIS_HASH, payload: payload1 },
    EPOCH_KEY,
    alice.device.sign,
    nacl,
    filled(24, 0x24),
  );
  const payload2 = seqBytes(300);
  const env2 = await sealEnvelopeWithNonce(
    { kind: EnvelopeKind.membership, spaceId: SPACE_ID, epoch: 3, seq: 2, prevHash: envelopeHash(env1), payload: payload2 },
    EPOCH_KEY,
    alice.device.sign,
    nacl,
    filled(24, 0x25),
  );
  const cert = await certifyDevice(nacl, alice.user, alice.device, "Alice's laptop", 1_700_000_000_000);
  const msgId = seqBytes(16, 0x10);
  const frames: [string, Frame][] = [
    ["hello", { type: "hello", client: "grove/0.1.0", minVersion: 1, maxVersion: 1 }],
    ["challenge", { type: "challenge", nonce: filled(32, 0xcc), relayUrl: "wss://relay.example/v1", maxEnvelopeBytes: 1048576, maxTargets: 256 }],
    ["auth", { type: "auth", device: alice.device.sign.publicKey, signature: filled(64, 0x5a), accessToken: "token-123" }],
    ["authOk", { type: "authOk", queued: 42 }],
    ["error", { type: "error", code: 10, message: "mailbox quota exceeded", ref: msgId }],
    ["send", { type: "send", msgId, flags: 0, ttlSeconds: 604800, targets: [bob.device.sign.publicKey, alice.device.sign.publicKey], envelope: env1 }],
    ["sendEphemeral", { type: "send", msgId, flags: 1, ttlSeconds: 0, targets: [bob.device.sign.publicKey], envelope: env1 }],
    ["ack", { type: "ack", msgId }],
    ["deliver", { type: "deliver", seq: 300, msgId, sender: alice.device.sign.publicKey, flags: 0, envelope: env1 }],
    ["deliverAck", { type: "deliverAck", seqs: [1, 2, 300] }],
    ["resend", { type: "resend", fromSeq: 17 }],
    ["blobPut", { type: "blobPut", hash: filled(32, 0xb1), data: seqBytes(40) }],
    ["blobPutOk", { type: "blobPutOk", hash: filled(32, 0xb1) }],
    ["blobGet", { type: "blobGet", hash: filled(32, 0xb1) }],
    ["blobData", { type: "blobData", hash: filled(32, 0xb1), data: seqBytes(40) }],
    ["mailSend", { type: "mailSend", msgId, to: "bob@example.com", subject: "Alice invites you to Grove", text: "Join: https://relay.example/join#k=s3cr3t\n" }],
    ["relayInfo", { type: "relayInfo", features: 1 }],
    ["partialAck", { type: "partialAck", msgId, full: [{ target: bob.device.sign.publicKey, reason: "bytes" }, { target: alice.device.sign.publicKey, reason: "source_share" }] }],
    ["mailInvite", { type: "mailInvite", msgId, to: "bob@example.com", inviterName: "Alice", spaceName: "Garden", link: "https://relay.example/join#AAEC" }],
    ["relayInfoTargetSets", { type: "relayInfo", features: 3 }],
    ["targetSet", { type: "targetSet", setId: 3, targets: [bob.device.sign.publicKey, alice.device.sign.publicKey] }],
    ["sendTargetSet", { type: "send", msgId, flags: 0, ttlSeconds: 604800, targets: [], targetSet: 3, envelope: env1 }],
  ];
  return {
    envelopes: [
      { name: "update-seq1", hex: toHex(env1), payloadHex: toHex(payload1), hash: toHex(envelopeHash(env1)) },
      { name: "membership-seq2", hex: toHex(env2), payloadHex: toHex(payload2), hash: toHex(envelopeHash(env2)) },
    ],
    frames: frames.map(([name, frame]) => ({ name, hex: toHex(encodeFrame(frame)) })),
    certificate: toHex(encodeCertificate(cert)),
    keyBox: {
      recipientSecret: toHex(bob.device.box.secretKey),
      key: toHex(EPOCH_KEY),
      hex: toHex(sealKeyBoxWith(EPOCH_KEY, bob.device.box.publicKey, filled(32, 0x99), filled(24, 0x9a))),
    },
    safetyNumber: {
      alice: fingerprint(alice.user.sign.publicKey),
      bob: fingerprint(bob.user.sign.publicKey),
      pair: safetyNumber(alice.user.sign.publicKey, bob.user.sign.publicKey),
    },
  };
}

if (typeof process !== "undefined" && import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(await buildVectors(), null, 2)}\n`);
}
