/**
 * Tasks over a space's Y.Doc: a shared to-do list.
 *
 *   map "tasks/items":  task id -> Y.Map {
 *     meta:     { id, by, name, at } (who added it, when)
 *     title:    string
 *     done:     { by, name, at } once ticked, null when open again
 *     assignee: user key (hex) or ""; assigned: { by, name, at } of who gave it, or null
 *     due:      day as "YYYY-MM-DD" or ""
 *     deleted?: true
 *   }
 *
 * Each field is its own map entry, so one member ticking a task while
 * another renames it keeps both. Whatever a member's device wrote is read
 * through guards: a task of the wrong shape is skipped, a bad field reads
 * as empty.
 */
import type * as Y from "yjs";
import { liveEntries, liveEntry, type Meta, newEntry, removeEntry, stampOf } from "./entries.js";
import { isDay, isUserKey, readRecord, STAMP_SHAPE, type Stamp } from "./records.js";

export const MAX_TASK_TITLE = 300;
const ITEMS = "tasks/items";

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

function viewOf(id: string, value: Y.Map<unknown>, meta: Meta): TaskView {
  const title = value.get("title");
  const done = readRecord<Stamp>(value.get("done"), STAMP_SHAPE);
  const assigned = readRecord<Stamp>(value.get("assigned"), STAMP_SHAPE);
  const assignee = value.get("assignee");
  const due = value.get("due");
  return {
    id,
    title: typeof title === "string" ? title.slice(0, MAX_TASK_TITLE) : "",
    created: stampOf(meta),
    ...(done && { done: stampOf(done) }),
    ...(isUserKey(assignee) && { assignee, ...(assigned && { assigned }) }),
    ...(isDay(due) && { due }),
  };
}

/**
 * Open tasks first (those due soonest, then the oldest), then done ones,
 * the most recently done first: the same order on every device.
 */
export function tasks(doc: Y.Doc): TaskView[] {
  const out = liveEntries(items(doc)).map(({ id, value, meta }) => viewOf(id, value, meta));
  const byId = (a: TaskView, b: TaskView) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return out.sort((a, b) => {
    if (!a.done !== !b.done) return a.done ? 1 : -1;
    if (a.done && b.done) return b.done.at - a.done.at || byId(a, b);
    if (a.due !== b.due) return !a.due ? 1 : !b.due ? -1 : a.due < b.due ? -1 : 1;
    return a.created.at - b.created.at || byId(a, b);
  });
}

/** Adds a task (call inside `Space.edit`). */
export function addTask(doc: Y.Doc, meta: Meta, title: string): void {
  const value = newEntry(meta);
  value.set("title", title.slice(0, MAX_TASK_TITLE));
  value.set("done", null);
  value.set("assignee", "");
  value.set("due", "");
  items(doc).set(meta.id, value);
}

export type TaskChange =
  | { title: string }
  | { done: Stamp | null }
  | { assignee: string | null; by: Stamp }
  | { due: string | null };

/** Changes one field of a task; false when the task is gone or the value is not one it takes. */
export function changeTask(doc: Y.Doc, id: string, change: TaskChange): boolean {
  const value = liveEntry(items(doc), id)?.value;
  if (!value) return false;
  if ("title" in change) value.set("title", change.title.slice(0, MAX_TASK_TITLE));
  else if ("done" in change) value.set("done", change.done ? stampOf(change.done) : null);
  else if ("assignee" in change) {
    if (change.assignee !== null && !isUserKey(change.assignee)) return false;
    value.set("assignee", change.assignee ?? "");
    value.set("assigned", change.assignee === null ? null : stampOf(change.by));
  } else {
    if (change.due !== null && !isDay(change.due)) return false;
    value.set("due", change.due ?? "");
  }
  return true;
}

/** Takes a task off the list for everyone; false when it is already gone. */
export function deleteTask(doc: Y.Doc, id: string): boolean {
  return removeEntry(items(doc), id) !== undefined;
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
