/**
 * One author signing two different envelopes for one (chain, seq): the
 * receiver takes the first and drops the other as a duplicate, in one batch
 * or across batches, and takes an envelope given twice in one batch once.
 */
import nacl from "tweetnacl";
import { expect, it } from "vitest";
import { MemoryStore } from "../bench/memory-store.js";
import { ed25519 } from "../core/crypto/ed25519.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { StaticAccess } from "../core/space/access.js";
import { Space } from "../core/space/space.js";

it("two envelopes an author signed for one seq: the first is taken, the second dropped as a duplicate", async () => {
  const backend = await ed25519();
  const spaceId = nacl.randomBytes(16);
  const epochKey = nacl.randomBytes(32);
  const author = generateDeviceKeys().sign;
  const receiver = generateDeviceKeys().sign;
  const access = () =>
    new StaticAccess(spaceId, epochKey, [
      [author.publicKey, "member"],
      [receiver.publicKey, "member"],
    ]);
  // Two spaces under the same device key: each seals its first edit as broadcast seq 1.
  const sealedBy = async (text: string) => {
    const out: Uint8Array[] = [];
    const space = await Space.open({
      access: access(),
      device: author,
      backend,
      store: new MemoryStore(),
      dispatch: async ({ envelope }) => {
        out.push(envelope);
      },
    });
    await space.edit((doc) => doc.getArray("chat").push([text]));
    await space.flush();
    await space.close();
    return out;
  };
  const [one] = await sealedBy("one");
  const [other] = await sealedBy("other");
  const [later] = await sealedBy("later");
  if (!one || !other || !later) throw new Error("no envelope sealed");

  const open = () =>
    Space.open({
      access: access(),
      device: receiver,
      backend,
      store: new MemoryStore(),
      dispatch: async () => {},
    });
  const inOneBatch = await open();
  await inOneBatch.receive([one, one, other]);
  expect(inOneBatch.doc.getArray("chat").toJSON()).toEqual(["one"]);
  expect(inOneBatch.stats.accepted).toBe(1);
  expect(inOneBatch.stats.duplicates).toBe(2);

  const acrossBatches = await open();
  await acrossBatches.receive([other]);
  await acrossBatches.receive([one, later]);
  expect(acrossBatches.doc.getArray("chat").toJSON()).toEqual(["other"]);
  expect(acrossBatches.stats.accepted).toBe(1);
  expect(acrossBatches.stats.duplicates).toBe(2);
  await inOneBatch.close();
  await acrossBatches.close();
});
