/**
 * A receiving device in its own process, for crash tests: opens the space in
 * GROVE_TEST_RECEIVER (a JSON file: fixture, storage key, batches of
 * envelopes) on files under its dir, and hands the batches over as the
 * SyncEngine does (the next once the one before is taken, in a task of its
 * own), printing "durable <i>" when batch i's receive resolves: the moment
 * the engine would ack it to the relay. The test kills it with SIGKILL
 * whenever it likes.
 */
import { readFileSync } from "node:fs";
import { fromHex } from "../core/crypto/bytes.js";
import { ed25519 } from "../core/crypto/ed25519.js";
import { Space } from "../core/space/space.js";
import { EncryptedStore } from "../core/store/encrypted-store.js";
import { FileStore } from "../core/store/node-file-store.js";
import { nextTask } from "../core/sync/next-task.js";
import { type FixtureSpec, fixtureOf } from "./sync-harness.js";

export interface ReceiverSpec extends FixtureSpec {
  dir: string;
  storageKey: string;
  batches: string[][];
}

const path = process.env.GROVE_TEST_RECEIVER;
if (!path) throw new Error("GROVE_TEST_RECEIVER names the spec file");
const spec = JSON.parse(readFileSync(path, "utf8")) as ReceiverSpec;
const fixture = fixtureOf(spec);
const receiver = fixture.members[1];
if (!receiver) throw new Error("the fixture has no second member");
const space = await Space.open({
  access: fixture.access(),
  device: receiver,
  backend: await ed25519(),
  store: new EncryptedStore(await FileStore.open(spec.dir), fromHex(spec.storageKey)),
  dispatch: async () => {},
});
const batches = spec.batches.map((batch) => batch.map(fromHex));
process.stdout.write("ready\n");
let at = 0;
const next = () => {
  const i = at++;
  const batch = batches[i];
  if (!batch) return;
  space
    .receive(batch, () => nextTask(next))
    .then(
      () => process.stdout.write(`durable ${i}\n`),
      (err: unknown) => process.stdout.write(`failed ${i} ${String(err)}\n`),
    );
};
next();
