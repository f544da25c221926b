/**
 * A member's device (a valid identity and login) that forges DELIVER_ACKs:
 * acks for seqs it was never sent, for seqs not yet handed out, huge and
 * repeated ones. Against a real relay process, killed with -9 afterwards:
 * nothing later sent to the forger is lost, and another device that is
 * connected and never acks still gets every send the relay acked (its rows
 * were written, not dropped for someone else's ack). And a sender whose
 * link dropped before its ACK, retransmitting the same msgId while the only
 * target holds the first copy only in the relay's memory (decision 120's
 * write-behind): its ACK must wait until the relay holds it durably.
 */
import { describe, expect, it } from "vitest";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import type { DeliverFrame, Frame } from "../core/wire/frame-types.js";
import { device, online, waitFor } from "./relay-harness.js";
import { relaysPerTest } from "./relay-per-file.js";
import { RawClient } from "./relay-raw.js";

const relays = relaysPerTest();

function delivered(frames: Frame[]): Omit<DeliverFrame, "type">[] {
  return frames.flatMap((f) =>
    f.type === "deliver" ? [f] : f.type === "deliverBatch" ? f.deliveries : [],
  );
}

/** Deliveries of stored mail (ephemeral ones carry seq 0). */
function stored(frames: Frame[]): Omit<DeliverFrame, "type">[] {
  return delivered(frames).filter((d) => d.seq > 0);
}

/** A device logged in to a relay restarted on `dataDir` (after kill -9). */
async function afterRestart(
  dataDir: string,
  keys: ReturnType<typeof generateDeviceKeys>["sign"],
): Promise<RawClient> {
  const again = await relays([], { dataDir });
  const client = await RawClient.open(again.url);
  await client.login(keys, again.url);
  return client;
}

describe("relay: forged DELIVER_ACKs and retransmits during write-behind", () => {
  it("acks for seqs never delivered change nothing: the forger gets every later send, and a live device that never acks gets every acked send after kill -9", async () => {
    const relay = await relays();
    const forgerKeys = generateDeviceKeys().sign;
    const victimKeys = generateDeviceKeys().sign;
    const forger = await RawClient.open(relay.url);
    await forger.login(forgerKeys, relay.url);
    forger.send({ type: "acceptBatches" });
    const victim = await RawClient.open(relay.url);
    await victim.login(victimKeys, relay.url);

    // Seqs that will be handed out next, a huge one, repeats: none was delivered to it.
    forger.send({ type: "deliverAck", seqs: [1, 2, 3, 4, 5, 1, 1, 2 ** 40, 1_000_000] });
    // Its frames are handled in order: once this ephemeral send is answered, the acks were seen.
    const probe = new Uint8Array(16).fill(7);
    forger.send({
      type: "send",
      msgId: probe,
      flags: 1,
      ttlSeconds: 0,
      targets: [forgerKeys.publicKey],
      envelope: Uint8Array.of(1),
    });
    await forger.next("ack");

    const sender = await device(relay.url);
    sender.client.start();
    await online(sender.client);
    const targets = [forgerKeys.publicKey, victimKeys.publicKey];
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => sender.client.send(targets, Uint8Array.of(0xee, i))),
    );
    await sender.client.stop();
    await waitFor(() => stored(forger.frames).length >= 5, "the forger's 5 deliveries");
    await waitFor(() => stored(victim.frames).length >= 5, "the victim's 5 deliveries");
    // Forged again, now for what the victim holds (same seqs, but the forger's own mailbox).
    forger.send({ type: "deliverAck", seqs: stored(victim.frames).map((d) => d.seq) });
    forger.close();
    victim.close();

    // The relay is killed: what it acked must be on its disk for the victim, which acked nothing.
    await relay.kill();
    const c = await afterRestart(relay.dataDir, victimKeys);
    await waitFor(() => stored(c.frames).length >= 5, "every acked send after the crash");
    expect(
      stored(c.frames)
        .map((d) => d.envelope[1])
        .sort(),
    ).toEqual([0, 1, 2, 3, 4]);
    c.close();
  });

  it("a retransmit of a send a live device holds only in memory is not acked before the relay holds it durably (kill -9 at the retransmit's ACK)", async () => {
    const relay = await relays();
    const senderKeys = generateDeviceKeys().sign;
    const victimKeys = generateDeviceKeys().sign;
    const victim = await RawClient.open(relay.url);
    await victim.login(victimKeys, relay.url);
    const send = {
      type: "send" as const,
      msgId: new Uint8Array(16).fill(0x5e),
      flags: 0,
      ttlSeconds: 0,
      targets: [victimKeys.publicKey],
      envelope: Uint8Array.of(0xaa, 1),
    };
    const first = await RawClient.open(relay.url);
    await first.login(senderKeys, relay.url);
    first.send(send);
    // Delivered from memory; the victim (connected) does not ack. The sender's link drops
    // before its ACK, and its outbox sends the same msgId again on a new one.
    await waitFor(() => delivered(victim.frames).length >= 1, "the live delivery");
    first.close();
    const second = await RawClient.open(relay.url);
    await second.login(senderKeys, relay.url);
    second.send(send);
    await second.next("ack");
    // Acked: the sender drops it from its outbox. The relay dies now.
    await relay.kill();
    victim.close();
    const c = await afterRestart(relay.dataDir, victimKeys);
    await waitFor(() => delivered(c.frames).length >= 1, "the acked send after the crash");
    c.close();
  });

  it("a device connected twice, acking on one link and asking RESEND on the other, has every send it did not ack after kill -9", async () => {
    const relay = await relays();
    const keys = generateDeviceKeys().sign;
    const a = await RawClient.open(relay.url);
    await a.login(keys, relay.url);
    const sender = await device(relay.url);
    sender.client.start();
    await online(sender.client);
    const sent = Array.from({ length: 3 }, (_, i) =>
      sender.client.send([keys.publicKey], Uint8Array.of(0xcc, i)),
    );
    await waitFor(() => stored(a.frames).length >= 3, "3 live deliveries on the first link");
    const first = stored(a.frames).find((d) => d.envelope[1] === 0);
    if (!first) throw new Error("the first send was delivered");
    a.send({ type: "deliverAck", seqs: [first.seq] });
    // The same device again: the first link is replaced, the second asks for everything.
    const b = await RawClient.open(relay.url);
    await b.login(keys, relay.url);
    b.send({ type: "resend", fromSeq: 1 });
    b.send({ type: "deliverAck", seqs: [first.seq] });
    await Promise.all(sent);
    await sender.client.stop();
    await relay.kill();
    a.close();
    b.close();
    const c = await afterRestart(relay.dataDir, keys);
    await waitFor(() => stored(c.frames).length >= 2, "the two sends not acked");
    expect(
      stored(c.frames)
        .map((d) => d.envelope[1])
        .sort(),
    ).toEqual([1, 2]);
    c.close();
  });
});
