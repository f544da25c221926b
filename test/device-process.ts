/**
 * One device in its own process, for crash tests: opens a space from the
 * fixture in GROVE_TEST_DEVICE, then for each stdin line "edit <text>"
 * appends a chat message and prints "queued <text>" once it is durably in
 * the outbox. The test kills it with SIGKILL whenever it likes.
 */
import { createInterface } from "node:readline";
import { type FixtureSpec, fixtureOf, TestDevice } from "./sync-harness.js";

interface Spec extends FixtureSpec {
  dir: string;
  relayUrl: string;
  index: number;
}

const spec = JSON.parse(process.env.GROVE_TEST_DEVICE ?? "{}") as Spec;
const fixture = fixtureOf(spec);
const device = await TestDevice.open(fixture, spec.index, () => spec.relayUrl, {}, spec.dir);
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  const text = line.replace(/^edit /, "");
  await device.space.edit((doc) => doc.getArray("chat").push([text]));
  process.stdout.write(`queued ${text}\n`);
}
