/**
 * Seeded random schedules of edits, disconnects, device and relay restarts,
 * with frames dropped and duplicated on every link: after the faults stop,
 * every device converges, every time. fast-check prints the seed and the
 * shrunk schedule of any failure; GROVE_SEED replays one.
 */
import fc from "fast-check";
import { afterAll, describe, it } from "vitest";
import { type RunningRelay, startRelay } from "../relay/server.js";
import { FaultySockets, seededRandom } from "./faulty-socket.js";
import { removeDir, tempDir } from "./relay-harness.js";
import { spaceFor, TestDevice, waitConverged } from "./sync-harness.js";

type Step =
  | { op: "edit"; device: number; tool: number }
  | { op: "cut"; device: number }
  | { op: "restart"; device: number }
  | { op: "relay" };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ op: fc.constant("edit" as const), device: fc.nat(2), tool: fc.nat(2) }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("cut" as const), device: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("restart" as const), device: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("relay" as const) }) },
);

const dataDir = tempDir("grove-relay-sched-");
let relay: RunningRelay | undefined;
let port = 0;
async function startOurRelay(): Promise<void> {
  relay = await startRelay({ host: "127.0.0.1", port, dataDir, logLevel: "silent" });
  port = relay.port;
}
afterAll(async () => {
  await relay?.close();
  removeDir(dataDir);
});

async function runSchedule(seed: number, steps: Step[]): Promise<void> {
  relay ?? (await startOurRelay());
  const fixture = spaceFor(3);
  const random = seededRandom(seed);
  const links = [0, 1, 2].map(() => new FaultySockets(random));
  const devices: TestDevice[] = [];
  try {
    for (const [i, link] of links.entries()) {
      link.faults = { drop: 0.05, duplicate: 0.05 };
      devices.push(
        await TestDevice.open(fixture, i, () => `ws://127.0.0.1:${port}`, {
          connect: link.connect,
          relayOptions: { handshakeTimeoutMs: 500, ackTimeoutMs: 400 },
        }),
      );
    }
    let n = 0;
    for (const s of steps) {
      if (s.op === "edit") {
        const { space } = devices[s.device]!;
        const text = `${s.device}:${n++}`;
        if (s.tool === 0) await space.edit((doc) => doc.getArray("chat").push([text]));
        else if (s.tool === 1) space.type((doc) => doc.getText("notes").insert(0, text));
        else await space.edit((doc) => doc.getMap("tasks").set(text, true));
      } else if (s.op === "cut") links[s.device]!.cutAll();
      else if (s.op === "restart") {
        await devices[s.device]!.stop();
        await devices[s.device]!.start();
      } else {
        await relay!.close();
        await startOurRelay();
      }
    }
    // Faults stop; links come back. Everything queued or lost must now arrive.
    for (const link of links) {
      link.faults = { drop: 0, duplicate: 0 };
      link.cutAll();
    }
    await waitConverged(devices, `schedule (seed ${seed}) to converge`, 20_000);
  } finally {
    for (const d of devices) {
      await d.stop().catch(() => {});
      d.remove();
    }
  }
}

describe("random schedules", () => {
  it("converge after edits, cuts, restarts, relay restarts, dropped and duplicated frames", async () => {
    const seed = process.env.GROVE_SEED ? Number(process.env.GROVE_SEED) : undefined;
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.array(step, { minLength: 5, maxLength: 25 }), runSchedule),
      { numRuns: 50, ...(seed !== undefined ? { seed } : {}), endOnFailure: true },
    );
  }, 600_000);
});
