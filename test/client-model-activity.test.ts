import { describe, expect, it } from "vitest";
import { fromHex } from "../core/crypto/bytes.js";
import type { EventView } from "../core/space/tools/calendar.js";
import type { ChatMessage } from "../core/space/tools/chat.js";
import type { TopicView } from "../core/space/tools/discussion.js";
import type { FileView } from "../core/space/tools/files.js";
import type { NoteView } from "../core/space/tools/notes.js";
import type { TaskView } from "../core/space/tools/tasks.js";
import {
  type ActivityItem,
  type MembershipFacts,
  membershipActivity,
  newestFirst,
} from "../renderer/src/model/activity.js";
import { calendarActivity } from "../renderer/src/tools/calendar/model.js";
import { chatActivity } from "../renderer/src/tools/chat/words.js";
import { discussionActivity } from "../renderer/src/tools/discussion/model.js";
import { filesActivity } from "../renderer/src/tools/files/model.js";
import { notesActivity } from "../renderer/src/tools/notes/model.js";
import { tasksActivity } from "../renderer/src/tools/tasks/model.js";

interface SpaceFacts extends MembershipFacts {
  messages: ChatMessage[];
  topics: TopicView[];
  notes: NoteView[];
  tasks: TaskView[];
  events: EventView[];
  files: FileView[];
}

/** What the space's handle lists: every tool's news and the membership's, newest first. */
function activitySince(f: SpaceFacts, since: number): ActivityItem[] {
  return newestFirst([
    ...chatActivity(f.messages, f.me, f.nameOf, since),
    ...discussionActivity(f.topics, f.me, since),
    ...notesActivity(f.notes, f.me, since),
    ...tasksActivity(f.tasks, f.me, since),
    ...calendarActivity(f.events, f.me, since),
    ...filesActivity(f.files, f.me, since),
    ...membershipActivity(f, since),
  ]);
}

const me = "a".repeat(64);
const bob = "b".repeat(64);
const cho = "c".repeat(64);
const names: Record<string, string> = { [me]: "Ann", [bob]: "Bob", [cho]: "Cho" };
const stamp = (by: string, at: number) => ({ by, at, name: names[by] ?? "Unknown member" });

function facts(over: Partial<SpaceFacts> = {}): SpaceFacts {
  return {
    me,
    nameOf: (u: string) => names[u] ?? "Unknown member",
    messages: [],
    topics: [],
    notes: [],
    tasks: [],
    events: [],
    files: [],
    log: {
      state: {
        accepted: new Set(),
        pending: new Map(),
        closedJoins: new Map(),
        certified: new Map(),
      },
      op: () => undefined,
    } as never,
    ...over,
  };
}

describe("activity since a moment", () => {
  it("lists what others did after it, newest first, each with the tool it opens", () => {
    const msg = (author: string, at: number, text: string) =>
      ({ id: `${at}`, author, at, text, deleted: false }) as never;
    const items = activitySince(
      facts({
        messages: [msg(bob, 5, "old"), msg(bob, 20, "hi"), msg(me, 21, "mine"), msg(cho, 22, "yo")],
        topics: [
          {
            id: "t",
            author: bob,
            name: "Bob",
            at: 30,
            title: "Seeds",
            replies: [{ id: "r", author: cho, name: "Cho", at: 31, text: "yes" }],
          } as never,
        ],
        notes: [
          { id: "n", title: "Shopping list", created: stamp(me, 1), edited: stamp(bob, 40) },
          { id: "m", title: "Mine", created: stamp(me, 1), edited: stamp(me, 41) },
        ],
        tasks: [
          { id: "k", title: "Dig", created: stamp(bob, 2), assignee: me, assigned: stamp(bob, 50) },
          {
            id: "j",
            title: "Not mine",
            created: stamp(bob, 2),
            assignee: cho,
            assigned: stamp(bob, 51),
          },
        ],
        events: [
          {
            id: "e",
            title: "Harvest",
            day: "2026-12-10",
            created: stamp(cho, 60),
            answers: {},
          } as never,
        ],
        files: [{ id: "f", name: "plan.pdf", by: bob, byName: "Bob", at: 70 } as never],
      }),
      10,
    );
    expect(items.map((i) => [i.tool, i.text])).toEqual([
      ["Files", "Bob shared “plan.pdf”"],
      ["Calendar", "Cho added “Harvest” on 2026-12-10"],
      ["Tasks", "Bob gave you the task “Dig”"],
      ["Notes", "Bob edited the note “Shopping list”"],
      ["Discussion", "Cho replied in “Seeds”"],
      ["Discussion", "Bob started the topic “Seeds”"],
      ["Chat", "2 new messages from Bob, Cho; the last: “yo”"],
    ]);
    expect(activitySince(facts(), 10)).toEqual([]);
  });

  it("says who joined and who left or was removed, from the membership log", () => {
    const ops: Record<string, unknown> = {
      j1: {
        signer: "d1",
        body: { time: 20, action: { type: "join", cert: { user: fromHex(bob) } } },
      },
      j2: {
        signer: "d2",
        body: { time: 21, action: { type: "join", cert: { user: fromHex(cho) } } },
      },
      c2: {
        signer: "d0",
        body: { time: 25, action: { type: "confirm", join: fromHex("0a".repeat(4)) } },
      },
      r1: { signer: "d1", body: { time: 30, action: { type: "remove", user: fromHex(bob) } } },
    };
    const log = {
      state: {
        accepted: new Set(Object.keys(ops)),
        pending: new Map([["j2", {}]]),
        closedJoins: new Map(),
        certified: new Map([["d1", bob]]),
      },
      op: (id: string) => ops[id],
    };
    const items = activitySince(facts({ log: log as never }), 10);
    expect(items.map((i) => i.text)).toEqual(["Bob left", "Bob joined"]);
  });
});
