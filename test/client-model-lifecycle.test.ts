/**
 * The client's session from start to stop, where it can go wrong: the
 * engine's own errors reach the Connection panel's debug list (and stop
 * reaching it with the session), an unlock that fails half-way leaves
 * nothing bound to its engine for the next unlock to reuse, and a stopped
 * client no longer follows the process's recent-errors log. Real relay on
 * 127.0.0.1, real EncryptedStore over FileStore; the failing disk is a
 * FileStore wrapped to refuse one space's keys.
 */
import { expect, it } from "vitest";
import { recentErrors } from "../core/diagnostics/recent-errors.js";
import { FileStore } from "../core/store/node-file-store.js";
import type { Store } from "../core/store/store.js";
import { RelayError } from "../core/sync/relay-error.js";
import type { GroveClient } from "../renderer/src/model/client.js";
import { chatTool } from "../renderer/src/tools/chat/index.js";
import { clientPeople } from "./client-people.js";
import type { TestPlatform } from "./client-platform.js";
import { waitFor } from "./relay-harness.js";

const { relay, platform, started, person } = clientPeople();

/**
 * The same profile on a disk where every call on `spaceId`'s keys answers
 * with what `held()` gives while it gives something (a read that hangs, then
 * fails), and reaches the real store otherwise.
 */
function holdingFor(
  p: TestPlatform,
  spaceId: string,
  held: () => Promise<never> | undefined,
): TestPlatform {
  return {
    ...p,
    openStore: async () => {
      const inner = await FileStore.open(p.dir);
      return new Proxy(inner, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => {
            const first = args[0];
            const keys = Array.isArray(first) ? first : [first];
            const answer = held();
            if (answer && keys.some((k) => String(k).includes(spaceId))) return answer;
            return value.apply(target, args);
          };
        },
      }) as Store;
    },
  };
}

it("an error the engine reports shows in the Connection panel's debug list, until the client stops", async () => {
  const ann = await person("Ann");
  const engine = ann.engine;
  if (!engine?.relay) throw new Error("no relay link");
  const before = recentErrors.count("SYNC_ENGINE");

  // The relay link reports what nobody awaits (a send it could not drop, a bad frame) as "error".
  engine.relay.emit("error", [new RelayError("OUTBOX_FAILED", "cannot drop an acked send")]);
  expect(recentErrors.count("SYNC_ENGINE")).toBe(before + 1);
  await waitFor(
    () =>
      ann.snapshot.errors.some(
        (e) => e.code === "SYNC_ENGINE" && e.reason.includes("OUTBOX_FAILED"),
      ),
    "the engine's error in the snapshot's debug list",
  );

  await ann.stop();
  engine.relay.emit("error", [new RelayError("OUTBOX_FAILED", "after the session ended")]);
  expect(recentErrors.count("SYNC_ENGINE")).toBe(before + 1);
});

it("an unlock that fails on one space leaves no half-started session; the next unlock opens every space in its own engine", async () => {
  const p = platform({ passphrase: true });
  const first = await started(p);
  await first.unlock("correct horse battery");
  await first.onboard({ name: "Cy", email: "", deviceName: "desk", relayUrl: relay.url });
  const garden = await first.createSpace("Garden");
  const shed = await first.createSpace("Shed");
  await first.stop();

  // Garden's reads hang until the test fails them: Shed opens first, in the doomed session.
  let fail: (err: Error) => void = () => undefined;
  const hanging = new Promise<never>((_, reject) => {
    fail = reject;
  });
  hanging.catch(() => undefined);
  let disk: "hanging" | "fine" = "hanging";
  const later = await started(
    holdingFor(p, garden.id, () => (disk === "hanging" ? hanging : undefined)),
  );
  expect(later.phase).toBe("locked");
  const unlocking = later.unlock("correct horse battery");
  await waitFor(() => later.spaces.has(shed.id), "Shed opened while Garden waits on the disk");
  fail(new Error("disk read error"));
  await expect(unlocking).rejects.toThrow("disk read error");
  expect(later.phase).toBe("locked");
  expect(later.spaces.size).toBe(0);
  expect(later.engine).toBeUndefined();

  disk = "fine";
  await later.unlock("correct horse battery");
  expect(later.phase).toBe("ready");
  expect(new Set(later.spaces.keys())).toEqual(new Set([garden.id, shed.id]));
  // Shed's handle works in this session: what is written there is kept.
  const shedHere = later.spaces.get(shed.id);
  if (!shedHere) throw new Error("Shed did not open");
  await shedHere.tool(chatTool).send("written after the second unlock");
  await later.stop();

  const third = await started(p);
  await third.unlock("correct horse battery");
  const shedAgain = third.spaces.get(shed.id);
  if (!shedAgain) throw new Error("Shed did not open on the third start");
  expect(
    shedAgain
      .tool(chatTool)
      .messages()
      .map((m) => m.text),
  ).toContain("written after the second unlock");
}, 60_000);

it("a stopped client stops following the recent-errors log", async () => {
  const stopped = await person("Ann");
  const live = await person("Bob");
  await stopped.stop();
  const seen = (client: GroveClient, message: string) =>
    client.snapshot.errors.some((e) => e.message === message);

  // A change scheduled before the stop has run by the time the live client shows this one.
  recentErrors.note("CLOSE", "a test's first background failure", new Error("first"));
  await waitFor(() => seen(live, "first"), "the live client's snapshot with the first error");

  let changes = 0;
  stopped.on("change", () => changes++);
  recentErrors.note("CLOSE", "a test's second background failure", new Error("second"));
  // Both would be told in the same turn, the stopped one first (it subscribed first).
  await waitFor(() => seen(live, "second"), "the live client's snapshot with the second error");
  expect(changes).toBe(0);
  expect(seen(stopped, "second")).toBe(false);
});
