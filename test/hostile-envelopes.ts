/**
 * Envelopes a receiver must refuse, built with the real writer: a forged
 * one (signature broken), one from a non-member, one from a viewer, one
 * sealed under the wrong key. Shared by the relay-path, direct-path and
 * browser security tests, which add a replay of a real envelope.
 */
import nacl from "tweetnacl";
import * as Y from "yjs";
import type { Ed25519Backend } from "../core/crypto/ed25519.js";
import { EnvelopeWriter } from "../core/crypto/envelope-writer.js";
import { generateDeviceKeys, type SigningKeyPair } from "../core/crypto/identity.js";
import { EnvelopeKind } from "../core/wire/envelope.js";

function chatUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getArray("chat").push([text]);
  return Y.encodeStateAsUpdate(doc);
}

export interface Hostile {
  forged: Uint8Array;
  fromOutsider: Uint8Array;
  fromViewer: Uint8Array;
  wrongKey: Uint8Array;
}

/** What a receiver's rejection counters read once it has refused all of `Hostile`. */
export const HOSTILE_REJECTIONS = { BAD_SIGNATURE: 1, AUTHOR_NOT_ALLOWED: 2, DECRYPT_FAILED: 1 };

export async function hostileEnvelopes(opts: {
  spaceId: Uint8Array;
  epochKey: Uint8Array;
  member: SigningKeyPair;
  viewer: SigningKeyPair;
  backend: Ed25519Backend;
}): Promise<Hostile> {
  const { spaceId, epochKey, member, viewer, backend } = opts;
  // Seqs far ahead of the member's real ones, so they are not taken for replays.
  const forged = await new EnvelopeWriter(spaceId, member, backend, {
    seq: 50,
    lastHash: new Uint8Array(32),
  }).seal(EnvelopeKind.update, chatUpdate("forged"), 0, epochKey);
  forged[forged.length - 70]! ^= 1; // in the body: the signature no longer holds
  const fromOutsider = await new EnvelopeWriter(spaceId, generateDeviceKeys().sign, backend).seal(
    EnvelopeKind.update,
    chatUpdate("outsider"),
    0,
    epochKey,
  );
  const fromViewer = await new EnvelopeWriter(spaceId, viewer, backend).seal(
    EnvelopeKind.update,
    chatUpdate("viewer"),
    0,
    epochKey,
  );
  const wrongKey = await new EnvelopeWriter(spaceId, member, backend, {
    seq: 60,
    lastHash: new Uint8Array(32),
  }).seal(EnvelopeKind.update, chatUpdate("wrong key"), 0, nacl.randomBytes(32));
  return { forged, fromOutsider, fromViewer, wrongKey };
}
