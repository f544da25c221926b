/**
 * The profile's list of spaces under actions made together: spaces created
 * at the same moment are all kept, and a space left while another is created
 * stays left after a restart (each profile write starts from the one before).
 * Leaving also stops the space's membership work (its listener on the
 * engine's relay status goes). Real relay on 127.0.0.1, real EncryptedStore
 * over FileStore.
 */
import { expect, it } from "vitest";
import type { GroveClient } from "../renderer/src/model/client.js";
import { clientPeople } from "./client-people.js";
import { waitFor } from "./relay-harness.js";

const { platform, started, person, letIn } = clientPeople();

/** How many listen to the engine's relay status (lib0 keeps them by event name). */
function relayStatusListeners(client: GroveClient): number {
  return client.engine?._observers.get("relayStatus")?.size ?? 0;
}

it("three spaces created at once are all in the profile, and all open after a restart", async () => {
  const p = platform();
  const ann = await person("Ann", p);
  const made = await Promise.all([
    ann.createSpace("A"),
    ann.createSpace("B"),
    ann.createSpace("C"),
  ]);
  const ids = new Set(made.map((h) => h.id));
  expect(new Set(ann.profile?.spaces)).toEqual(ids);
  await ann.stop();

  const again = await started(p);
  expect(new Set(again.profile?.spaces)).toEqual(ids);
  for (const id of ids) expect(again.spaces.has(id)).toBe(true);
}, 60_000);

it("a space left while another is created stays left after a restart, and its membership stops", async () => {
  const ann = await person("Ann");
  const bp = platform();
  const bob = await person("Bob", bp);
  const garden = await ann.createSpace("Garden");
  const joined = await letIn(ann, garden, bob);

  await waitFor(() => joined.presence.started, "Bob announcing in Garden");
  const listening = relayStatusListeners(bob);
  // Two clicks in quick succession: create Shed, leave Garden.
  const [shed] = await Promise.all([bob.createSpace("Shed"), bob.leaveSpace(garden.id)]);
  await waitFor(() => shed.presence.started, "Bob announcing in Shed");
  // Shed's membership and presence listen now; Garden's no longer do.
  expect(relayStatusListeners(bob)).toBe(listening);
  expect(bob.profile?.spaces).toContain(shed.id);
  expect(bob.profile?.spaces).not.toContain(garden.id);
  await bob.stop();

  const again = await started(bp);
  expect([...again.spaces.keys()]).not.toContain(garden.id);
  expect([...again.spaces.keys()]).toContain(shed.id);
}, 60_000);
