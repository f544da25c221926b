/**
 * Hostile envelopes on the relay path: a forged one, one from a non-member,
 * one from a viewer, and a replay of a real one. Each is refused for its
 * reason and none reaches the doc, also after the receiver restarts.
 */

import { isDeepStrictEqual } from "node:util";
import { expect, it } from "vitest";
import { ed25519 } from "../core/crypto/ed25519.js";
import { HOSTILE_REJECTIONS, hostileEnvelopes } from "./hostile-envelopes.js";
import { device, online, waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";
import { firstLogRecord, spaceFor, TestDevice, waitConverged } from "./sync-harness.js";

const relay = relayPerFile();

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
    const captured = await firstLogRecord(b);

    const { forged, fromOutsider, fromViewer, wrongKey } = await hostileEnvelopes({
      spaceId: fixture.spaceId,
      epochKey: fixture.epochKey,
      member: a.keys,
      viewer,
      backend,
    });
    const target = [b.keys.publicKey];
    for (const env of [forged, fromOutsider, fromViewer, wrongKey, captured]) {
      await attacker.client.send(target, env);
    }
    await waitFor(
      () =>
        isDeepStrictEqual(b.space.stats.rejected, HOSTILE_REJECTIONS) &&
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
