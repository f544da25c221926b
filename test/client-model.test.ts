/**
 * The app's client model (GroveClient, SpaceHandle) in Node, without a
 * browser: the real EncryptedStore over a FileStore, a real relay on
 * 127.0.0.1, and the client's phases, spaces, invitations, chat delivery
 * states, passphrase lock and errors as the UI sees them.
 */
import { expect, it } from "vitest";
import { recentErrors } from "../core/diagnostics/recent-errors.js";
import { type GroveClient, OtherRelayError } from "../renderer/src/model/client.js";
import { ClientStateError } from "../renderer/src/model/client-state.js";
import { chatTool } from "../renderer/src/tools/chat/index.js";
import { clientPeople } from "./client-people.js";
import type { TestPlatform } from "./client-platform.js";
import { waitFor } from "./relay-harness.js";

const { relay, platform, started, person, letIn } = clientPeople();

/** The next snapshot the client publishes (changes are coalesced per frame). */
function nextSnapshot(client: GroveClient) {
  return new Promise<GroveClient["snapshot"]>((resolve) => {
    const once = () => {
      client.off("change", once);
      resolve(client.snapshot);
    };
    client.on("change", once);
  });
}

it("a new profile goes from onboarding to ready, and a restart finds it and its spaces", async () => {
  const p = platform();
  const ann = await person("Ann", p);
  expect(ann.phase).toBe("ready");
  expect(ann.profile?.name).toBe("Ann");
  await ann.createSpace("  Garden ");
  await waitFor(() => ann.relayStatus === "online", "Ann online");
  await ann.stop();

  const again = await started(p);
  expect(again.phase).toBe("ready");
  expect([...again.spaces.values()].map((h) => h.name)).toEqual(["Garden"]);
  expect(again.profile?.spaces).toHaveLength(1);
});

it("an invitation lets a second client in, and a chat message goes local, at relay, delivered", async () => {
  const ann = await person("Ann");
  const bob = await person("Bob");
  const garden = await ann.createSpace("Garden");
  const _joined = await letIn(ann, garden, bob);
  await waitFor(() => garden.members().length === 2, "two members at Ann");
  expect(bob.spaceList().map((s) => s.handle.name)).toEqual(["Garden"]);

  // Offline, the message waits in Ann's outbox: "local", read from the outbox's own event.
  const annPlatform = ann.platform as TestPlatform;
  annPlatform.setOnline(false);
  expect(ann.offline).toBe(true);
  const chat = garden.tool(chatTool);
  await chat.send("seeds on Monday");
  const mine = () => chat.messages().find((m) => m.text === "seeds on Monday");
  const state = () => {
    const m = mine();
    return m && chat.delivery(m, ann.queued).state;
  };
  expect(state()).toBe("local");
  await waitFor(() => ann.snapshot.offline, "the snapshot says offline");

  annPlatform.setOnline(true);
  // Acked by the relay: the outbox says so without any polling, then Bob's receipt counts.
  await waitFor(() => state() !== "local", "out of Ann's outbox", 20_000);
  await waitFor(
    () => bob.spaces.get(garden.id)?.tool(chatTool).messages().length === 1,
    "at Bob",
    20_000,
  );
  await waitFor(() => state() === "delivered", "Bob's receipt at Ann", 20_000);
  const m = mine();
  expect(m && chat.delivery(m, ann.queued)).toEqual({ state: "delivered", to: 1, of: 1 });
  // The outboxes are read again when the page is idle (decision 119): empty soon, not at once.
  await waitFor(() => ann.queued.size === 0, "Ann's outboxes read empty", 5_000);
});

it("a passphrase locks the profile: a wrong one is refused and leaves it locked", async () => {
  const p = platform({ passphrase: true });
  const first = await started(p);
  expect(first.phase).toBe("choose-passphrase");
  await first.unlock("correct horse battery");
  expect(first.phase).toBe("onboarding");
  await first.onboard({ name: "Cy", email: "", deviceName: "desk", relayUrl: relay.url });
  await first.stop();

  const later = await started(p);
  expect(later.phase).toBe("locked");
  await expect(later.unlock("wrong horse battery")).rejects.toThrow(
    "that passphrase does not open this profile",
  );
  expect(later.phase).toBe("locked");
  await later.unlock("correct horse battery");
  expect(later.phase).toBe("ready");
  expect(later.profile?.name).toBe("Cy");
});

it("errors are surfaced: typed before ready, a link for another relay, a failed action, background", async () => {
  const early = await started(platform());
  expect(early.phase).toBe("onboarding");
  await expect(early.createSpace("Too soon")).rejects.toThrow(ClientStateError);
  await expect(early.createSpace("Too soon")).rejects.toMatchObject({ code: "NOT_READY" });

  const ann = await person("Ann");
  const garden = await ann.createSpace("Garden");
  const { url } = await ann.invite(garden.id, {
    role: "member",
    mode: "open",
    expiresInHours: 1,
    oneTime: false,
  });
  // Bob's device uses another relay (nobody listens there): the link's relay is not his.
  const bob = await started(platform());
  await bob.onboard({ name: "Bob", email: "", deviceName: "phone", relayUrl: "ws://127.0.0.1:9" });
  await expect(bob.join(url)).rejects.toThrow(OtherRelayError);

  const shown = nextSnapshot(bob);
  await bob.attempt("Renaming", async () => {
    throw new Error("the disk is full");
  });
  const snapshot = await shown;
  expect(snapshot.problem).toEqual({ what: "Renaming", message: "the disk is full" });
  expect(Object.isFrozen(snapshot)).toBe(true);

  const listed = nextSnapshot(bob);
  recentErrors.note("SYNC_REQUEST", "asking for a gap in an author's run", new Error("closed"));
  const after = await listed;
  expect(after.errors[0]).toMatchObject({ code: "SYNC_REQUEST", message: "closed" });
  expect(after.revision).toBeGreaterThan(snapshot.revision);
});
