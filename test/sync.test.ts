/**
 * The sync engine end to end in Node: real relay process, real engines on
 * encrypted file stores, devices going offline and coming back.
 */

import { afterEach, describe, expect, it } from "vitest";
import { relayPerFile } from "./relay-per-file.js";
import { contentOf, spaceFor, TestDevice, waitConverged } from "./sync-harness.js";

const relay = relayPerFile();
const devices: TestDevice[] = [];
afterEach(async () => {
  for (const d of devices.splice(0)) {
    await d.stop().catch(() => {});
    d.remove();
  }
});

async function open(fixture: ReturnType<typeof spaceFor>, count: number) {
  const opened: TestDevice[] = [];
  for (let i = 0; i < count; i++) {
    const d = await TestDevice.open(fixture, i, () => relay.url);
    devices.push(d);
    opened.push(d);
  }
  return opened;
}

describe("sync engine over a real relay", () => {
  it("three devices: one offline through 1,000 mixed edits converges on return, nothing missing", async () => {
    const fixture = spaceFor(3);
    const [a, b, c] = await open(fixture, 3);
    await c!.stop();

    const chats: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const author = i % 2 === 0 ? a! : b!;
      const tool = i % 3;
      if (tool === 0) {
        const text = `message ${i}`;
        chats.push(text);
        await author.space.edit((doc) => doc.getArray("chat").push([text]));
      } else if (tool === 1) {
        author.space.type((doc) => doc.getText("notes").insert(0, `${i};`));
      } else {
        await author.space.edit((doc) =>
          doc.getMap("tasks").set(`task-${i}`, { done: i % 2 === 0 }),
        );
      }
    }
    await a!.space.flush();
    await b!.space.flush();
    await waitConverged([a!, b!], "a and b to converge");

    await c!.start();
    await waitConverged([a!, b!, c!], "all three to converge after c returns");
    const content = contentOf(c!.space.doc) as { chat: string[]; notes: string; tasks: object };
    expect([...content.chat].sort()).toEqual([...chats].sort());
    expect(Object.keys(content.tasks)).toHaveLength(333);
    const typed = Array.from({ length: 1000 }, (_, i) => i).filter((i) => i % 3 === 1);
    expect(
      content.notes
        .split(";")
        .filter(Boolean)
        .map(Number)
        .sort((x, y) => x - y),
    ).toEqual(typed);
    expect(c!.space.stats.rejected).toEqual({});
  });
});
