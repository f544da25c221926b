/**
 * The space's group calendar over its Y.Doc: events and who comes.
 *
 *   map "calendar/events":  event id -> Y.Map {
 *     meta:  { id, by, at, title, place, day, time, minutes } (signed by who put it in)
 *            day "YYYY-MM-DD"; time "HH:MM" or "" (all day); minutes: length, 0 for none
 *     rsvp:  Y.Map user key -> { v: "yes" | "maybe" | "no", by, at } (signed by that user)
 *     deleted?: { v: true, by, at } (signed by its author or a manager)
 *   }
 *
 * Times are wall-clock times of the day as the event's author typed them,
 * the way a group says "Saturday at 10". Answers are per user in their own
 * map, so members answering at once never overwrite each other.
 */
import * as Y from "yjs";
import {
  type EntryKinds,
  type Field,
  fieldPlace,
  liveEntries,
  liveEntry,
  META_SHAPE,
  type Meta,
  newEntry,
  putField,
  stampOf,
} from "./entries.js";
import { isDay, isUserKey, readRecord, SIGNED_SHAPE, type Stamp } from "./records.js";
import type { RecordTrust } from "./signed-records.js";

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

export interface EventMeta extends Meta, EventInput {}

export const EVENT_KINDS: EntryKinds = {
  meta: "event",
  field: "event-field",
  shape: {
    ...META_SHAPE,
    title: "string",
    place: "string",
    day: "string",
    time: "string",
    minutes: "number",
  },
};

const ANSWER_SHAPE = { by: "user", at: "number", ...SIGNED_SHAPE } as const;

export interface EventView extends EventInput {
  id: string;
  created: Stamp;
  /** Each member's answer, by user key. */
  answers: Record<string, Answer>;
}

const eventMap = (doc: Y.Doc) => doc.getMap<unknown>(EVENTS);

/** An event is only as good as its day: one without a readable day is not shown. */
function live(doc: Y.Doc, id: string, trust: RecordTrust) {
  const entry = liveEntry<EventMeta>(eventMap(doc), id, EVENT_KINDS, trust);
  return entry && isDay(entry.meta.day) ? entry : undefined;
}

/** Where an answer to event `id` is signed for (the user it is filed under is in the record). */
export const answerPlace = (id: string) => fieldPlace(id, "rsvp");

/** Answers in `rsvp` that the users they are filed under signed. */
function answersIn(id: string, rsvp: unknown, trust: RecordTrust): Record<string, Answer> {
  const answers: Record<string, Answer> = {};
  if (!(rsvp instanceof Y.Map)) return answers;
  for (const [user, value] of rsvp) {
    const a = readRecord<Field<unknown>>(value, ANSWER_SHAPE);
    if (!a || a.by !== user || typeof a.v !== "string" || !ANSWERS.includes(a.v)) continue;
    if (trust.holds("event-answer", answerPlace(id), a as never, user)) {
      answers[user] = a.v as Answer;
    }
  }
  return answers;
}

function viewOf(id: string, value: Y.Map<unknown>, meta: EventMeta, trust: RecordTrust): EventView {
  return {
    id,
    title: meta.title.slice(0, MAX_EVENT_TITLE),
    place: meta.place.slice(0, MAX_PLACE),
    day: meta.day,
    time: TIME.test(meta.time) ? meta.time : "",
    minutes:
      Number.isInteger(meta.minutes) && meta.minutes > 0 ? Math.min(meta.minutes, MAX_MINUTES) : 0,
    created: stampOf(meta, trust),
    answers: answersIn(id, value.get("rsvp"), trust),
  };
}

/** Every event in time order (all-day ones first within their day). */
export function events(doc: Y.Doc, trust: RecordTrust): EventView[] {
  const out = liveEntries<EventMeta>(eventMap(doc), EVENT_KINDS, trust)
    .filter(({ meta }) => isDay(meta.day))
    .map(({ id, value, meta }) => viewOf(id, value, meta, trust));
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

/** An event's record as it will be signed; throws a RangeError for one `eventProblem` refuses. */
export function draftEvent(meta: Meta, e: EventInput): EventMeta {
  const problem = eventProblem(e);
  if (problem) throw new RangeError(problem);
  return {
    ...meta,
    title: e.title.trim().slice(0, MAX_EVENT_TITLE),
    place: e.place.trim().slice(0, MAX_PLACE),
    day: e.day,
    time: e.time,
    minutes: e.minutes,
  };
}

/** Puts a signed event in (call inside `Space.edit`). */
export function addEvent(doc: Y.Doc, meta: EventMeta): void {
  const value = newEntry(meta);
  value.set("rsvp", new Y.Map<unknown>());
  eventMap(doc).set(meta.id, value);
}

/**
 * A user's signed answer to an event, or null to take `user`'s back; false
 * when the event is gone.
 */
export function answer(
  doc: Y.Doc,
  id: string,
  user: string,
  reply: Field<Answer> | null,
  trust: RecordTrust,
): boolean {
  const rsvp = live(doc, id, trust)?.value.get("rsvp");
  if (!(rsvp instanceof Y.Map) || !isUserKey(user)) return false;
  if (reply === null) rsvp.delete(user);
  else rsvp.set(user, { ...reply });
  return true;
}

/** Takes an event out of the calendar for everyone (a signed tombstone); false when gone. */
export function cancelEvent(doc: Y.Doc, id: string, tombstone: Field<true>, trust: RecordTrust) {
  return putField(eventMap(doc), id, "deleted", tombstone, EVENT_KINDS, trust);
}
