/**
 * Tasks over a space's Y.Doc: a shared to-do list.
 *
 *   map "tasks/items":  task id -> Y.Map {
 *     meta:      { id, by, at, title } (signed: who added it, when, its first title)
 *     title?:    { v: string, by, at } (each field signed by who set it last)
 *     done?:     { v: boolean, by, at } (who ticked or reopened it)
 *     assignee?: { v: user key (hex) or "", by, at } (who gave it to whom)
 *     due?:      { v: "YYYY-MM-DD" or "", by, at }
 *     deleted?:  { v: true, by, at }
 *   }
 *
 * Each field is its own map entry, so one member ticking a task while
 * another renames it keeps both. Whatever a member's device wrote is read
 * through guards: a task of the wrong shape or whose meta is not its
 * author's is skipped, a bad or forged field reads as never set.
 */
import type * as Y from "yjs";
import {
  type EntryKinds,
  type Field,
  isText,
  liveEntries,
  newEntry,
  putField,
  readField,
  stampOf,
  TITLED_META_SHAPE,
  type TitledMeta,
} from "./entries.js";
import { isDay, isUserKey, type Stamp } from "./records.js";
import type { RecordTrust } from "./signed-records.js";

export const MAX_TASK_TITLE = 300;
const ITEMS = "tasks/items";

export type TaskMeta = TitledMeta;

export const TASK_KINDS: EntryKinds = {
  meta: "task",
  field: "task-field",
  shape: TITLED_META_SHAPE,
};

export interface TaskView {
  id: string;
  title: string;
  created: Stamp;
  done?: Stamp;
  /** User key (hex), or undefined when nobody has it. */
  assignee?: string;
  /** Who gave it to the assignee, and when. */
  assigned?: Stamp;
  /** "YYYY-MM-DD", or undefined. */
  due?: string;
}

const items = (doc: Y.Doc) => doc.getMap<unknown>(ITEMS);

const isBool = (v: unknown): v is boolean => typeof v === "boolean";
const isUserOrNone = (v: unknown): v is string => v === "" || isUserKey(v);
const isDayOrNone = (v: unknown): v is string => v === "" || isDay(v);

function viewOf(id: string, value: Y.Map<unknown>, meta: TaskMeta, trust: RecordTrust): TaskView {
  const field = <T>(name: string, check: (v: unknown) => v is T) =>
    readField(value, id, name, TASK_KINDS.field, trust, check);
  const title = field("title", isText);
  const done = field("done", isBool);
  const assignee = field("assignee", isUserOrNone);
  const due = field("due", isDayOrNone);
  return {
    id,
    title: (title?.v ?? meta.title).slice(0, MAX_TASK_TITLE),
    created: stampOf(meta, trust),
    ...(done?.v && { done: stampOf(done, trust) }),
    ...(assignee?.v && { assignee: assignee.v, assigned: stampOf(assignee, trust) }),
    ...(due?.v && { due: due.v }),
  };
}

/**
 * Open tasks first (those due soonest, then the oldest), then done ones,
 * the most recently done first: the same order on every device.
 */
export function tasks(doc: Y.Doc, trust: RecordTrust): TaskView[] {
  const out = liveEntries<TaskMeta>(items(doc), TASK_KINDS, trust).map(({ id, value, meta }) =>
    viewOf(id, value, meta, trust),
  );
  const byId = (a: TaskView, b: TaskView) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return out.sort((a, b) => {
    if (!a.done !== !b.done) return a.done ? 1 : -1;
    if (a.done && b.done) return b.done.at - a.done.at || byId(a, b);
    if (a.due !== b.due) return !a.due ? 1 : !b.due ? -1 : a.due < b.due ? -1 : 1;
    return a.created.at - b.created.at || byId(a, b);
  });
}

/** A task's meta as it will be signed: its title cut to size. */
export function draftTask(meta: TaskMeta): TaskMeta {
  return { ...meta, title: meta.title.slice(0, MAX_TASK_TITLE) };
}

/** Adds a task from its signed meta (call inside `Space.edit`). */
export function addTask(doc: Y.Doc, meta: TaskMeta): void {
  items(doc).set(meta.id, newEntry(meta));
}

export type TaskChange =
  | { title: string }
  | { done: boolean }
  | { assignee: string | null }
  | { due: string | null };

/**
 * A change as the field it sets (name and value), before it is signed;
 * undefined when the value is not one a task takes.
 */
export function draftChange(
  change: TaskChange,
): { field: string; v: string | boolean } | undefined {
  if ("title" in change) return { field: "title", v: change.title.slice(0, MAX_TASK_TITLE) };
  if ("done" in change) return { field: "done", v: change.done };
  if ("assignee" in change) {
    if (change.assignee !== null && !isUserKey(change.assignee)) return undefined;
    return { field: "assignee", v: change.assignee ?? "" };
  }
  if (change.due !== null && !isDay(change.due)) return undefined;
  return { field: "due", v: change.due ?? "" };
}

/** Sets one signed field of a task; false when the task is gone. */
export function changeTask(
  doc: Y.Doc,
  id: string,
  field: string,
  record: Field<string | boolean>,
  trust: RecordTrust,
): boolean {
  return putField(items(doc), id, field, record, TASK_KINDS, trust);
}

/** Takes a task off the list for everyone (a signed tombstone); false when it is already gone. */
export function deleteTask(doc: Y.Doc, id: string, tombstone: Field<true>, trust: RecordTrust) {
  return putField(items(doc), id, "deleted", tombstone, TASK_KINDS, trust);
}

/** Open tasks given to `user` by someone else after `since`: what is new for them to do. */
export function newlyAssigned(list: TaskView[], user: string, since: number): TaskView[] {
  return list.filter(
    (t) =>
      !t.done &&
      t.assignee === user &&
      t.assigned !== undefined &&
      t.assigned.by !== user &&
      t.assigned.at > since,
  );
}
