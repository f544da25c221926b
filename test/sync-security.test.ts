/**
 * Hostile envelopes on the relay path: a forged one, one from a non-member,
 * one from a viewer, and a replay of a real one. Each is refused for its
 * reason and none reaches the doc, also after the receiver restarts.
 */

import nacl from "tweetnacl";
import { expect, it } from "vitest";
import * as Y from "yjs";
import { ed25519 } from "../core/crypto/ed25519.js";
import { EnvelopeWriter } from "../core/crypto/envelope-writer.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { EnvelopeKind } from "../core/wire/envelope.js";
import { device, online, waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";
import { spaceFor, TestDevice, waitConverged } from "./sync-harness.js";

const relay = relayPerFile();

function chatUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getArray("chat").push([text]);
  return Y.encodeStateAsUpdate(doc);
}

it("forged, non-member, viewer and replayed envelopes are refused and never applied", async () => {
  const fixture = spaceFor(3);
  const viewer = fixture.members[2]!;
  fixture.roles.set(viewer, "viewer");
  const a = await TestDevice.open(fixture, 0, () => relay.url);
  const b = await TestDevice.open(fixture, 1, () => relay.url);
  const attacker = await device(relay.url);
  attacker.client.start();
  await online(attacker.client);
  const backend = await ed25519();
  try {
    await a.space.edit((doc) => doc.getArray("chat").push(["real"]));
    await waitConverged([a, b], "a's real message at b");

    // A real envelope of a's, as anyone who saw it on the wire could keep it.
    const [logKey] = await b.store.list(`s/${b.space.id}/l/b`);
    const captured = (await b.store.get(logKey!))!;

    const { epoch, key } = { epoch: 0, key: fixture.epochKey };
    const outsider = generateDeviceKeys().sign;
    const forged = await new EnvelopeWriter(fixture.spaceId, a.keys, backend, {
      seq: 50,
      lastHash: new Uint8Array(32),
    }).seal(EnvelopeKind.update, chatUpdate("forged"), epoch, key);
    forged[forged.length - 70]! ^= 1; // in the body: the signature no longer holds
    const fromOutsider = await new EnvelopeWriter(fixture.spaceId, outsider, backend).seal(
      EnvelopeKind.update,
      chatUpdate("outsider"),
      epoch,
      key,
    );
    const fromViewer = await new EnvelopeWriter(fixture.spaceId, viewer, backend).seal(
      EnvelopeKind.update,
      chatUpdate("viewer"),
      epoch,
      key,
    );
    const wrongKey = await new EnvelopeWriter(fixture.spaceId, a.keys, backend, {
      seq: 60,
      lastHash: new Uint8Array(32),
    }).seal(EnvelopeKind.update, chatUpdate("wrong key"), epoch, nacl.randomBytes(32));
    const target = [b.keys.publicKey];
    for (const env of [forged, fromOutsider, fromViewer, wrongKey, captured]) {
      await attacker.client.send(target, env);
    }
    await waitFor(
      () =>
        b.space.stats.rejected.BAD_SIGNATURE === 1 &&
        b.space.stats.rejected.AUTHOR_NOT_ALLOWED === 2 &&
        b.space.stats.rejected.DECRYPT_FAILED === 1 &&
        b.space.stats.duplicates === 1,
      "b to refuse all five",
    );
    expect(b.space.doc.getArray("chat").toJSON()).toEqual(["real"]);

    // After a restart the ledger comes from disk: the replay is still refused.
    await b.stop();
    await b.start();
    await attacker.client.send(target, captured);
    await waitFor(() => b.space.stats.duplicates === 1, "b to refuse the replay after restart");
    expect(b.space.doc.getArray("chat").toJSON()).toEqual(["real"]);
  } finally {
    await attacker.client.stop();
    await a.stop();
    await b.stop();
    a.remove();
    b.remove();
  }
});
