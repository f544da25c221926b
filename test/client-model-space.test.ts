/**
 * The app's model of a space (SpaceHandle and its tools' models) in Node,
 * without a browser: two GroveClients over the real EncryptedStore and
 * FileStore and a real relay on 127.0.0.1. Ann writes in every tool; Bob's
 * handle shows each, and answers what is asked of every tool alike (unread,
 * search, notices, activity). One tool here is the test's own plug-in,
 * registered beside the app's: the handle serves it without knowing it.
 */
import { expect, it } from "vitest";
import type { GroveClient } from "../renderer/src/model/client.js";
import { searchSpaces } from "../renderer/src/model/search.js";
import { randomId, type SpaceContext } from "../renderer/src/model/space-context.js";
import type { SpaceHandle } from "../renderer/src/model/space-handle.js";
import {
  defineTool,
  type Notice,
  type ToolHit,
  ToolMissingError,
  type ToolModel,
  type ToolPlugin,
} from "../renderer/src/model/tool-plugin.js";
import { calendarTool } from "../renderer/src/tools/calendar/index.js";
import { chatTool } from "../renderer/src/tools/chat/index.js";
import { discussionTool } from "../renderer/src/tools/discussion/index.js";
import { filesTool } from "../renderer/src/tools/files/index.js";
import { notesTool } from "../renderer/src/tools/notes/index.js";
import { TOOL_PLUGINS } from "../renderer/src/tools/registry.js";
import { sketchTool } from "../renderer/src/tools/sketch/index.js";
import { tasksTool } from "../renderer/src/tools/tasks/index.js";
import { clientPeople } from "./client-people.js";
import { waitFor } from "./relay-harness.js";

interface Poll {
  id: string;
  question: string;
  by: string;
  at: number;
}

/** A tool the app does not have: polls, unsigned (a test's tool, not a product's). */
class PollsModel implements ToolModel {
  constructor(private readonly ctx: SpaceContext) {}

  polls(): Poll[] {
    return [...this.ctx.doc.getMap<Poll>("test/polls").values()];
  }

  ask(question: string): Promise<void> {
    const poll = { id: randomId(), question, by: this.ctx.me.user, at: Date.now() };
    return this.ctx.member.space.edit((doc) => doc.getMap("test/polls").set(poll.id, poll));
  }

  private byOthers(after: number): Poll[] {
    return this.polls().filter((p) => p.by !== this.ctx.me.user && p.at > after);
  }

  unread(readAt: number): number {
    return this.byOthers(readAt).length;
  }

  search(matches: (text: string) => boolean): ToolHit[] {
    return this.polls()
      .filter((p) => matches(p.question))
      .map((p) => ({ id: p.id, name: this.ctx.nameOf(p.by), at: p.at, text: p.question }));
  }

  notices(since: number, space: string): Notice[] {
    return this.byOthers(since - 1).map((p) => ({
      key: `poll:${p.id}`,
      urgent: false,
      title: `${this.ctx.nameOf(p.by)} asks in ${space}`,
      body: p.question,
      generic: "New poll",
      neutral: "New poll",
    }));
  }

  activity(since: number) {
    return this.byOthers(since).map((p) => ({
      key: `poll:${p.id}`,
      tool: "Polls",
      at: p.at,
      text: `${this.ctx.nameOf(p.by)} asked “${p.question}”`,
    }));
  }
}

const pollsTool = defineTool({
  id: "polls",
  label: "Polls",
  create: (context) => new PollsModel(context),
  View: () => null,
});
/** A tool whose memoized view has the discussion's name: each must get its own. */
class TopicCountModel implements ToolModel {
  constructor(private readonly ctx: SpaceContext) {}

  topics(): number {
    return this.ctx.cached("topics", () => this.ctx.doc.getMap("test/polls").size);
  }

  /** Never written: it only counts. */
  lastActivity(): number {
    return 0;
  }
}

const topicCountTool = defineTool({
  id: "topic-count",
  label: "Topic count",
  create: (context) => new TopicCountModel(context),
  View: () => null,
});

/** A plug-in no client here runs. */
const absentTool = defineTool({
  id: "absent",
  label: "Absent",
  create: (context) => new PollsModel(context),
  View: () => null,
});

const people = clientPeople();
const { letIn } = people;

/** Someone with the app's tools, the test's polls tool and any `extraTools`. */
function person(name: string, extraTools = [] as ToolPlugin[]): Promise<GroveClient> {
  return people.person(name, undefined, [...TOOL_PLUGINS, pollsTool, ...extraTools]);
}

function tools(h: SpaceHandle) {
  return {
    chat: h.tool(chatTool),
    discussion: h.tool(discussionTool),
    notes: h.tool(notesTool),
    tasks: h.tool(tasksTool),
    calendar: h.tool(calendarTool),
    sketch: h.tool(sketchTool),
    files: h.tool(filesTool),
    polls: h.tool(pollsTool),
  };
}

it("every tool written at one client shows at the other, and the handle asks them all alike", async () => {
  const ann = await person("Ann");
  const bob = await person("Bob");
  const garden = await ann.createSpace("Garden");
  const joined = await letIn(ann, garden, bob);
  await waitFor(() => garden.members().length === 2, "two members at Ann");
  expect(garden.tools.map((t) => t.plugin.label)).toEqual([
    "Chat",
    "Discussion",
    "Notes",
    "Tasks",
    "Calendar",
    "Sketch",
    "Files",
    "Polls",
  ]);

  const since = Date.now() - 1;
  const at = tools(garden);
  await at.chat.send("@Bob seed potatoes arrive on Monday");
  await at.discussion.startTopic("Seed swap", "Who has seed potatoes left?");
  const noteId = await at.notes.createNote("Seed list");
  await waitFor(() => at.notes.notes().some((n) => n.id === noteId), "Ann's note checked");
  at.notes.typeInNote(noteId, { index: 0, remove: 0, insert: "potatoes, beans" });
  await garden.member.space.flush();
  await at.tasks.addTask("Order seed potatoes");
  await waitFor(() => at.tasks.tasks().length === 1, "Ann's task checked");
  const taskId = at.tasks.tasks()[0]?.id ?? "";
  await at.tasks.changeTask(taskId, { assignee: bob.myUser });
  await at.calendar.addEvent({
    title: "Seed day",
    day: "2026-12-20",
    time: "",
    minutes: 0,
    place: "",
  });
  const bytes = new TextEncoder().encode("potatoes: 2 kg\nbeans: 1 kg\n");
  await at.files.shareFile({ name: "seeds.txt", type: "text/plain", bytes });
  await at.sketch.draw({ color: "#1f2d23", width: 4, points: [0, 0, 100, 100] });
  await at.polls.ask("Seed potatoes or onions first?");

  const bobGarden = joined;
  const there = tools(bobGarden);
  await waitFor(
    () =>
      there.chat.messages().length === 1 &&
      there.discussion.topics().length === 1 &&
      there.notes.noteText(noteId) === "potatoes, beans" &&
      there.tasks.tasks()[0]?.assignee === bob.myUser &&
      there.calendar.events().length === 1 &&
      there.files.files().length === 1 &&
      there.sketch.strokes().length === 1 &&
      there.polls.polls().length === 1,
    "everything Ann wrote at Bob",
    30_000,
  );
  expect(new TextDecoder().decode(await there.files.fetchFile(there.files.files()[0]!))).toBe(
    "potatoes: 2 kg\nbeans: 1 kg\n",
  );

  // Unread: the message, the topic, the task given to Bob, and the test's poll.
  expect(bobGarden.unread(since)).toBe(4);
  expect(garden.unread(since)).toBe(0);
  // The latest post of the tools that keep one (the topic came after the message).
  expect(bobGarden.lastActivity()).toBe(there.discussion.topics()[0]?.lastActivity);
  expect(bobGarden.lastActivity()).toBeGreaterThan(there.chat.messages()[0]?.at ?? 0);

  // Search asks every tool, the plug-in's too, and names each hit's tool.
  const hits = searchSpaces(bob.spaces.values(), "SEED potatoes");
  expect(hits.map((h) => h.tool).sort()).toEqual(["Chat", "Discussion", "Notes", "Polls", "Tasks"]);
  expect(hits.every((h) => h.spaceName === "Garden" && h.name === "Ann")).toBe(true);
  expect(searchSpaces(bob.spaces.values(), "   ")).toEqual([]);

  // Notices: the mention and the task are urgent (told even on screen), the poll is not. A
  // message is told once its signature is checked (decision 152).
  await waitFor(() => bobGarden.notices(since).length === 3, "Bob's notices checked");
  const notices = bobGarden.notices(since).map((n) => [n.title, n.urgent]);
  expect(notices).toEqual(
    expect.arrayContaining([
      ["Ann mentioned you in Garden", true],
      ["Ann gave you a task in Garden", true],
      ["Ann asks in Garden", false],
    ]),
  );
  expect(notices).toHaveLength(3);
  expect(garden.notices(since)).toEqual([]);

  // Activity: one line per tool with news (a stroke is none), newest first.
  await waitFor(() => bobGarden.activity(since).length === 7, "Bob's activity checked");
  const activity = bobGarden.activity(since);
  expect(new Set(activity.map((i) => i.tool))).toEqual(
    new Set(["Chat", "Discussion", "Notes", "Tasks", "Calendar", "Files", "Polls"]),
  );
  expect(activity.map((i) => i.at)).toEqual([...activity.map((i) => i.at)].sort((a, b) => b - a));
  // Ann's own view: nothing she did herself, and, since the start, that Bob joined.
  expect(garden.activity(since)).toEqual([]);
  expect(garden.activity(0).map((i) => [i.tool, i.text])).toEqual([["Members", "Bob joined"]]);

  // A plug-in the client does not run is a typed error, not an undefined model.
  expect(() => bobGarden.tool(absentTool)).toThrow(ToolMissingError);
  expect(() => bobGarden.model("absent")).toThrow(/not in this client's registry/);
});

it("a client without a tool still opens its spaces; the tool's data waits unread", async () => {
  const ann = await person("Ann");
  const garden = await ann.createSpace("Garden");
  await tools(garden).polls.ask("Onions?");
  await waitFor(() => ann.relayStatus === "online", "Ann online");
  const platform = ann.platform;
  await ann.stop();

  // The same profile, started by an app whose registry lacks polls.
  const again = await people.started(platform, TOOL_PLUGINS);
  const reopened = again.spaces.get(garden.id);
  expect(reopened?.tools.map((t) => t.plugin.id)).not.toContain("polls");
  expect(() => reopened?.tool(pollsTool)).toThrow(ToolMissingError);
  expect(reopened?.member.space.doc.getMap("test/polls").size).toBe(1);
});

it("two tools naming a memoized view alike each get their own", async () => {
  const ann = await person("Ann", [topicCountTool]);
  const garden = await ann.createSpace("Garden");
  await garden.tool(pollsTool).ask("Tea or coffee?");
  await garden.tool(discussionTool).startTopic("Compost", "Where does it go?");
  const titles = () =>
    garden
      .tool(discussionTool)
      .topics()
      .map((t) => t.title);
  // Shown once its signature is checked; then both are asked at the same revision.
  await waitFor(() => titles().includes("Compost"), "the topic verified");
  expect(garden.tool(topicCountTool).topics()).toBe(1);
  expect(
    garden
      .tool(discussionTool)
      .topics()
      .map((t) => t.title),
  ).toEqual(["Compost"]);
});
