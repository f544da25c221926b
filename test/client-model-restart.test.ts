/**
 * A restart with messages still queued: the client reads its outbox at
 * start, not only when it next changes, so what a previous run could not
 * send shows "Local only" and the Connection panel counts what waits for
 * whom, even while the relay stays unreachable (nothing would change the
 * outbox then). Real relay on 127.0.0.1 for the first run; the second run
 * dials a port where nobody listens.
 */
import { expect, it } from "vitest";
import { chatTool } from "../renderer/src/tools/chat/index.js";
import { clientPeople } from "./client-people.js";
import type { TestPlatform } from "./client-platform.js";
import { connectWs, waitFor } from "./relay-harness.js";

const { platform, started, person, letIn } = clientPeople();

it("after a restart with the relay unreachable, a message queued before shows Local only and waits for its reader", async () => {
  const p = platform();
  const ann = await person("Ann", p);
  const bob = await person("Bob");
  const garden = await ann.createSpace("Garden");
  const _joined = await letIn(ann, garden, bob);
  await waitFor(() => garden.members().length === 2, "Ann sees two members");

  p.setOnline(false);
  await garden.tool(chatTool).send("queued before restart");
  expect(ann.queued.size).toBeGreaterThan(0);
  await ann.stop();

  // The same profile started again, its relay unreachable: the outbox never changes now.
  const unreachable: TestPlatform = { ...p, connect: () => connectWs("ws://127.0.0.1:9/v1") };
  const again = await started(unreachable);
  expect(again.phase).toBe("ready");
  expect((await again.engine?.outbox.list())?.length ?? 0).toBeGreaterThan(0);
  const handle = again.spaces.get(garden.id);
  if (!handle) throw new Error("Garden did not open after the restart");
  const chat = handle.tool(chatTool);

  await waitFor(() => again.queued.size > 0, "the outbox read at start", 10_000);
  const message = chat.messages().find((m) => m.text === "queued before restart");
  if (!message) throw new Error("the queued message is not in the chat after the restart");
  await waitFor(
    () => chat.delivery(message, again.queued).state === "local",
    "the queued message shown Local only",
    10_000,
  );
  expect(again.waitingFor.get(bob.myDevice)).toBeGreaterThan(0);
  await waitFor(() => again.snapshot.queued.size > 0, "the snapshot showing the queue");
}, 60_000);
