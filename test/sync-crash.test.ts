/**
 * A device killed (SIGKILL) with edits still in its outbox, because its relay
 * was unreachable, loses none of them: restarted on the same data, it sends
 * them and the other member receives every one.
 */

import { spawn } from "node:child_process";
import { expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { tempDir, waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";
import { spaceFor, TestDevice, waitConverged } from "./sync-harness.js";

const ROOT = new URL("..", import.meta.url).pathname;
const relay = relayPerFile();

it("edits queued in the outbox of a killed device reach the others after restart", async () => {
  const fixture = spaceFor(2);
  const dir = tempDir("grove-crash-");
  const spec = {
    dir,
    // Nothing listens on port 1: the device stays offline and keeps everything queued.
    relayUrl: "ws://127.0.0.1:1",
    index: 0,
    spaceId: toHex(fixture.spaceId),
    epochKey: toHex(fixture.epochKey),
    members: fixture.members.map((m) => ({
      publicKey: toHex(m.publicKey),
      secretKey: toHex(m.secretKey),
    })),
  };
  const child = spawn(process.execPath, ["--import", "tsx", "test/device-process.ts"], {
    cwd: ROOT,
    env: { ...process.env, GROVE_TEST_DEVICE: JSON.stringify(spec) },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines: string[] = [];
  child.stdout!.on("data", (chunk: Buffer) => lines.push(...chunk.toString().split("\n")));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await waitFor(() => lines.includes("ready"), "device process ready", 30_000);
  const texts = Array.from({ length: 20 }, (_, i) => `unsent ${i}`);
  for (const t of texts) child.stdin!.write(`edit ${t}\n`);
  await waitFor(
    () => lines.filter((l) => l.startsWith("queued ")).length === 20,
    "20 edits queued",
  );
  child.kill("SIGKILL");
  await exited;

  const b = await TestDevice.open(fixture, 1, () => relay.url);
  const a = await TestDevice.open(fixture, 0, () => relay.url, {}, dir);
  try {
    expect(a.space.doc.getArray("chat").toJSON()).toEqual(texts);
    await waitConverged([a, b], "the restarted device's edits to reach the other");
    expect(b.space.doc.getArray("chat").toJSON()).toEqual(texts);
  } finally {
    await a.stop();
    await b.stop();
    a.remove();
    b.remove();
  }
});
