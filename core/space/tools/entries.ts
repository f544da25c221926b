/**
 * Tool items kept as one Y.Map each (notes, tasks, events), so members
 * changing different fields of one item merge. Every item holds a signed
 * `meta` record naming its own id and its author; every other plain value
 * is a signed field record naming who set it (`{ v, by, at }`), bound to its
 * item and field, so nobody can set a field in someone else's name or move
 * a signed value to another item. Removing an item sets a signed `deleted`
 * field (a tombstone, so a change racing the removal lands on a hidden item
 * instead of bringing a half-removed one back); it counts when its author
 * wrote the item or moderates the space.
 */
import * as Y from "yjs";
import { readRecord, type Shape, SIGNED_SHAPE, type Stamp } from "./records.js";
import type { RecordKind, RecordTrust, Signed } from "./signed-records.js";

export interface Meta extends Signed {
  id: string;
  by: string;
  at: number;
}

/** One field of an item, as whoever set it last signed it. */
export interface Field<T> extends Signed {
  v: T;
  by: string;
  at: number;
}

/** The record kinds of one tool's items: their meta, and their fields. */
export interface EntryKinds {
  meta: RecordKind;
  field: RecordKind;
  /** The meta's shape: id, by, at, the signature, and the tool's own first values. */
  shape: Shape;
}

export const META_SHAPE = { id: "id", by: "user", at: "number", ...SIGNED_SHAPE } as const;

/** The meta of an item with a title anyone may change later (notes, tasks): its first title. */
export interface TitledMeta extends Meta {
  title: string;
}

export const TITLED_META_SHAPE = { ...META_SHAPE, title: "string" } as const;

export const isText = (v: unknown): v is string => typeof v === "string";
export const isTrue = (v: unknown): v is true => v === true;
const FIELD_SHAPE = { by: "user", at: "number", ...SIGNED_SHAPE } as const;

/** Where a field record sits: its signature is bound to this, so it cannot be moved. */
export function fieldPlace(id: string, field: string): string {
  return `${id}/${field}`;
}

/** Field `field` of item `id` when its value passes `check` and its signer is who it names. */
export function readField<T>(
  item: Y.Map<unknown>,
  id: string,
  field: string,
  kind: RecordKind,
  trust: RecordTrust,
  check: (v: unknown) => v is T,
): Field<T> | undefined {
  const f = readRecord<Field<unknown>>(item.get(field), FIELD_SHAPE);
  if (!f || !check(f.v)) return undefined;
  return trust.holds(kind, fieldPlace(id, field), f, f.by) ? (f as Field<T>) : undefined;
}

/** The live item `id` of `map` and its meta; undefined when absent, removed, malformed or forged. */
export function liveEntry<M extends Meta>(
  map: Y.Map<unknown>,
  id: string,
  kinds: EntryKinds,
  trust: RecordTrust,
): { value: Y.Map<unknown>; meta: M } | undefined {
  const value = map.get(id);
  if (!(value instanceof Y.Map)) return undefined;
  const meta = readRecord<M>(value.get("meta"), kinds.shape);
  if (!meta || meta.id !== id || !trust.holds(kinds.meta, "", meta, meta.by)) {
    return undefined;
  }
  const deleted = readField(value, id, "deleted", kinds.field, trust, isTrue);
  if (deleted && (deleted.by === meta.by || trust.moderates(deleted.by))) return undefined;
  return { value, meta };
}

/** Every live item of `map`, in key order. */
export function liveEntries<M extends Meta>(
  map: Y.Map<unknown>,
  kinds: EntryKinds,
  trust: RecordTrust,
): { id: string; value: Y.Map<unknown>; meta: M }[] {
  const out: { id: string; value: Y.Map<unknown>; meta: M }[] = [];
  for (const id of map.keys()) {
    const entry = liveEntry<M>(map, id, kinds, trust);
    if (entry) out.push({ id, ...entry });
  }
  return out;
}

/** A new item holding its signed meta, ready to be inserted into the map. */
export function newEntry(meta: Meta): Y.Map<unknown> {
  const value = new Y.Map<unknown>();
  value.set("meta", { ...meta });
  return value;
}

/** Sets a signed field of live item `id`; false when the item is not live. */
export function putField(
  map: Y.Map<unknown>,
  id: string,
  field: string,
  record: Field<unknown>,
  kinds: EntryKinds,
  trust: RecordTrust,
): boolean {
  const entry = liveEntry(map, id, kinds, trust);
  entry?.value.set(field, { ...record });
  return entry !== undefined;
}

/** A record's author and time, with the name the membership gives them. */
export function stampOf(r: { by: string; at: number }, trust: RecordTrust): Stamp {
  return { by: r.by, name: trust.nameOf(r.by), at: r.at };
}
