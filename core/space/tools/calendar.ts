/**
 * The space's group calendar over its Y.Doc: events and who comes.
 *
 *   map "calendar/events":  event id -> Y.Map {
 *     meta:  { id, by, name, at } (who put it in, when)
 *     title, place: strings
 *     day:   "YYYY-MM-DD"; time: "HH:MM" or "" (all day); minutes: length, 0 for none
 *     rsvp:  Y.Map user key -> "yes" | "maybe" | "no"
 *     deleted?: true
 *   }
 *
 * Times are wall-clock times of the day as the event's author typed them,
 * the way a group says "Saturday at 10". Answers are per user in their own
 * map, so members answering at once never overwrite each other.
 */
import * as Y from "yjs";
import { liveEntries, liveEntry, type Meta, newEntry, removeEntry, stampOf } from "./entries.js";
import { isDay, isUserKey, type Stamp } from "./records.js";

export const MAX_EVENT_TITLE = 200;
const MAX_PLACE = 200;
const EVENTS = "calendar/events";
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const MAX_MINUTES = 7 * 24 * 60;

export type Answer = "yes" | "maybe" | "no";
const ANSWERS: readonly string[] = ["yes", "maybe", "no"];

export interface EventInput {
  title: string;
  day: string;
  time: string;
  minutes: number;
  place: string;
}

export interface EventView extends EventInput {
  id: string;
  created: Stamp;
  /** Each member's answer, by user key. */
  answers: Record<string, Answer>;
}

const eventMap = (doc: Y.Doc) => doc.getMap<unknown>(EVENTS);

/** An event is only as good as its day: one without a readable day is not shown. */
const hasDay = (value: Y.Map<unknown>) => isDay(value.get("day"));

function entry(doc: Y.Doc, id: string): Y.Map<unknown> | undefined {
  const live = liveEntry(eventMap(doc), id);
  return live && hasDay(live.value) ? live.value : undefined;
}

const text = (v: unknown, max: number) => (typeof v === "string" ? v.slice(0, max) : "");

function viewOf(id: string, value: Y.Map<unknown>, meta: Meta): EventView {
  const time = value.get("time");
  const minutes = value.get("minutes");
  const answers: Record<string, Answer> = {};
  const rsvp = value.get("rsvp");
  if (rsvp instanceof Y.Map) {
    for (const [user, answer] of rsvp) {
      if (isUserKey(user) && typeof answer === "string" && ANSWERS.includes(answer)) {
        answers[user] = answer as Answer;
      }
    }
  }
  return {
    id,
    title: text(value.get("title"), MAX_EVENT_TITLE),
    place: text(value.get("place"), MAX_PLACE),
    day: value.get("day") as string,
    time: typeof time === "string" && TIME.test(time) ? time : "",
    minutes:
      typeof minutes === "number" && Number.isInteger(minutes) && minutes > 0
        ? Math.min(minutes, MAX_MINUTES)
        : 0,
    created: stampOf(meta),
    answers,
  };
}

/** Every event in time order (all-day ones first within their day). */
export function events(doc: Y.Doc): EventView[] {
  const out = liveEntries(eventMap(doc))
    .filter(({ value }) => hasDay(value))
    .map(({ id, value, meta }) => viewOf(id, value, meta));
  return out.sort(
    (a, b) =>
      (a.day < b.day ? -1 : a.day > b.day ? 1 : 0) ||
      (a.time < b.time ? -1 : a.time > b.time ? 1 : 0) ||
      (a.id < b.id ? -1 : 1),
  );
}

/** Why an event cannot be saved as given, or undefined when it can. */
export function eventProblem(e: EventInput): string | undefined {
  if (e.title.trim() === "") return "An event needs a title";
  if (!isDay(e.day) || Number.isNaN(Date.parse(`${e.day}T00:00:00Z`))) {
    return "The day is not a date";
  }
  if (e.time !== "" && !TIME.test(e.time)) return "The time is not a time of day";
  if (!Number.isInteger(e.minutes) || e.minutes < 0 || e.minutes > MAX_MINUTES) {
    return "The length must be between 0 minutes and a week";
  }
  return undefined;
}

/** Puts an event in (call inside `Space.edit`); throws a RangeError for one `eventProblem` refuses. */
export function addEvent(doc: Y.Doc, meta: Meta, e: EventInput): void {
  const problem = eventProblem(e);
  if (problem) throw new RangeError(problem);
  const value = newEntry(meta);
  value.set("title", e.title.trim().slice(0, MAX_EVENT_TITLE));
  value.set("place", e.place.trim().slice(0, MAX_PLACE));
  value.set("day", e.day);
  value.set("time", e.time);
  value.set("minutes", e.minutes);
  value.set("rsvp", new Y.Map<unknown>());
  eventMap(doc).set(meta.id, value);
}

/** A user's answer to an event (null takes it back); false when the event is gone. */
export function answer(doc: Y.Doc, id: string, user: string, reply: Answer | null): boolean {
  const rsvp = entry(doc, id)?.get("rsvp");
  if (!(rsvp instanceof Y.Map) || !isUserKey(user)) return false;
  if (reply === null) rsvp.delete(user);
  else rsvp.set(user, reply);
  return true;
}

/** Takes an event out of the calendar for everyone; false when it is already gone. */
export function cancelEvent(doc: Y.Doc, id: string): boolean {
  return removeEntry(eventMap(doc), id) !== undefined;
}
