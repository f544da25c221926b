/**
 * Tool items kept as one Y.Map each (notes, tasks, events), so members
 * changing different fields of one item merge. Every item holds a `meta`
 * record naming its own id and its author; removing one sets `deleted`
 * (a tombstone), so a change racing the removal lands on a hidden item
 * instead of bringing a half-removed one back.
 */
import * as Y from "yjs";
import { META_SHAPE, readRecord, type Stamp } from "./records.js";

export interface Meta extends Stamp {
  id: string;
}

/** The live item `id` of `map` and its meta; undefined when absent, removed or malformed. */
export function liveEntry(
  map: Y.Map<unknown>,
  id: string,
): { value: Y.Map<unknown>; meta: Meta } | undefined {
  const value = map.get(id);
  if (!(value instanceof Y.Map) || value.get("deleted") === true) return undefined;
  const meta = readRecord<Meta>(value.get("meta"), META_SHAPE);
  return meta && meta.id === id ? { value, meta } : undefined;
}

/** Every live item of `map`, in key order. */
export function liveEntries(
  map: Y.Map<unknown>,
): { id: string; value: Y.Map<unknown>; meta: Meta }[] {
  const out: { id: string; value: Y.Map<unknown>; meta: Meta }[] = [];
  for (const id of map.keys()) {
    const entry = liveEntry(map, id);
    if (entry) out.push({ id, ...entry });
  }
  return out;
}

/** A new item: its meta set, ready for the tool's own fields (insert it into the map after). */
export function newEntry(meta: Meta): Y.Map<unknown> {
  const value = new Y.Map<unknown>();
  value.set("meta", { id: meta.id, by: meta.by, name: meta.name, at: meta.at });
  return value;
}

/** Removes item `id` for everyone (a tombstone); false when it is not live. */
export function removeEntry(map: Y.Map<unknown>, id: string): Y.Map<unknown> | undefined {
  const entry = liveEntry(map, id);
  entry?.value.set("deleted", true);
  return entry?.value;
}

/** A stamp as a plain copy (never the caller's object, which Yjs would keep). */
export function stampOf(s: Stamp): Stamp {
  return { by: s.by, name: s.name, at: s.at };
}
