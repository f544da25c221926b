import { describe, expect, it } from "vitest";
import { bytesKey } from "../core/crypto/bytes.js";
import { seqBytes } from "./fixtures.js";
import { freePort } from "./free-port.js";
import { online, type TestDevice, waitFor } from "./relay-harness.js";
import { devicesPerTest, relaysPerTest } from "./relay-per-file.js";

const relay = relaysPerTest();
const dev = devicesPerTest();

const payload = (i: number) => {
  const bytes = seqBytes(256, i);
  new DataView(bytes.buffer).setUint32(0, i);
  return bytes;
};
const indexOf = (envelope: Uint8Array) =>
  new DataView(envelope.buffer, envelope.byteOffset).getUint32(0);

/** Indexes a device has taken, whatever the duplicates (a retransmitted send may come twice). */
const taken = (d: TestDevice) => new Set(d.received.map((r) => indexOf(r.envelope)));

describe("relay: kill -9 in the middle of a fan-out", () => {
  it("every send acked before the crash reaches every target, live or offline", async () => {
    const TOTAL = 300;
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}`;
    const first = await relay(["--port", String(port)]);
    const sender = await dev(url);
    const live = await Promise.all(Array.from({ length: 4 }, () => dev(url)));
    // A live device that takes its time (its app is slow to store): its rows fall due unacked.
    const slow: TestDevice = await dev(url, {
      onDeliver: async (d) => {
        await new Promise<void>((resolve) => setTimeout(resolve, 20));
        slow.received.push(d);
      },
    });
    const offline = await Promise.all(Array.from({ length: 2 }, () => dev(url)));
    for (const d of [sender, ...live, slow]) d.client.start();
    await Promise.all([sender, ...live, slow].map((d) => online(d.client)));
    const targets = [...live, slow, ...offline].map((d) => d.keys.publicKey);

    const acked = new Set<number>();
    const sends: Promise<unknown>[] = [];
    let ackedBeforeCrash = new Set<number>();
    for (let i = 0; i < TOTAL; i++) {
      sends.push(sender.client.send(targets, payload(i)).then(() => acked.add(i)));
      if (i === 149) {
        await waitFor(() => acked.size >= 50, "50 acks before the crash");
        await first.kill();
        ackedBeforeCrash = new Set(acked);
      }
    }
    expect(ackedBeforeCrash.size).toBeGreaterThanOrEqual(50);
    expect(ackedBeforeCrash.size).toBeLessThan(TOTAL);

    await relay(["--port", String(port)], { dataDir: first.dataDir });
    await waitFor(() => acked.size === TOTAL, "every send acked after the restart", 40_000);
    await Promise.all(sends);
    for (const d of offline) d.client.start();
    const everyone = [...live, slow, ...offline];
    await waitFor(
      () => everyone.every((d) => taken(d).size >= TOTAL),
      "every target has every send",
      40_000,
    ).catch((err: Error) => {
      const counts = everyone.map((d) => taken(d).size).join(", ");
      throw new Error(`${err.message}: targets hold ${counts} of ${TOTAL}`);
    });
    for (const d of everyone) {
      const got = taken(d);
      const missing = [...ackedBeforeCrash].filter((i) => !got.has(i));
      expect(missing, `missing at ${bytesKey(d.keys.publicKey).slice(0, 8)}`).toEqual([]);
    }
  }, 90_000);
});
