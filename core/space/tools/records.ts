/**
 * Reading tool records out of a space's Y.Doc. Every value in the doc was
 * written by some member's device, so it is untrusted input: a record of
 * the wrong shape (a newer app, a buggy or hostile member) is skipped, never
 * trusted and never thrown on. These guards are the one place shapes are
 * checked.
 */

/** Who did something, and when, with their name as the membership knows it: for views. */
export interface Stamp {
  by: string;
  name: string;
  at: number;
}

/** The signer and signature every signed record carries (signed-records.ts). */
export const SIGNED_SHAPE = { device: "user", "sig?": "sig" } as const;

/** Longest text a record field may carry; longer values are cut on write and skipped on read. */
export const MAX_TEXT = 16_000;
/** 32 bytes in hex: a user key, a hash, a file key. */
const HEX_32 = /^[0-9a-f]{64}$/;
/** A user (or device) key in hex, as records name people. */
export function isUserKey(v: unknown): v is string {
  return typeof v === "string" && HEX_32.test(v);
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar day as records keep it ("YYYY-MM-DD"). */
export function isDay(v: unknown): v is string {
  return typeof v === "string" && DAY.test(v);
}

/** An Ed25519 signature, kept as bytes (Yjs stores them as they are, half the size of hex). */
const SIG_BYTES = 64;
const ID = /^[0-9a-f]{16,64}$/;

export type Shape = Record<
  string,
  "string" | "number" | "boolean" | "user" | "id" | "users" | "hex32" | "hex32s" | "sig"
>;

/**
 * Verdicts per shape and value object. Yjs hands back the same object for an
 * entry until it is overwritten, so a view rebuilt after each update of a
 * catch-up checks only the records that are new (the regexes were most of
 * the app's CPU while ten thousand messages arrived).
 */
const verdicts = new WeakMap<Shape, WeakMap<object, unknown>>();

/** The value as a plain record when every named field has its kind (optional ones end in "?"). */
export function readRecord<T>(value: unknown, shape: Shape): T | undefined {
  if (!plainObject(value)) return undefined;
  let known = verdicts.get(shape);
  if (!known) {
    known = new WeakMap();
    verdicts.set(shape, known);
  }
  if (known.has(value)) return known.get(value) as T | undefined;
  const verdict = check<T>(value as Record<string, unknown>, shape);
  known.set(value, verdict);
  return verdict;
}

/**
 * The same verdict as `readRecord`, not remembered: for a reader that keeps
 * its own copy of what it read (MessageIndex), where a value is checked once
 * and the shared memo's WeakMap entries cost more than the check (a launch
 * reads 30,000 messages that way).
 */
export function checkRecord<T>(value: unknown, shape: Shape): T | undefined {
  if (!plainObject(value)) return undefined;
  return check<T>(value as Record<string, unknown>, shape);
}

/**
 * An object as Yjs decodes one: of the standard prototype. Yjs (lib0's
 * readAny) assigns a decoded object's keys, so a `__proto__` key sent by a
 * member sets the prototype instead: its fields would be read without being
 * the record's own, and a signature covers only a record's own fields.
 */
function plainObject(value: unknown): value is object {
  return (
    typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype
  );
}

/** A shape's fields, read once per shape rather than once per record checked. */
interface Field {
  key: string;
  optional: boolean;
  kind: Shape[string];
}
const fieldsOf = new WeakMap<Shape, Field[]>();

function fields(shape: Shape): Field[] {
  let list = fieldsOf.get(shape);
  if (!list) {
    list = Object.entries(shape).map(([rawKey, kind]) => {
      const optional = rawKey.endsWith("?");
      return { key: optional ? rawKey.slice(0, -1) : rawKey, optional, kind };
    });
    fieldsOf.set(shape, list);
  }
  return list;
}

function check<T>(v: Record<string, unknown>, shape: Shape): T | undefined {
  for (const { key, optional, kind } of fields(shape)) {
    const field = v[key];
    if (field === undefined && optional) continue;
    if (!fits(field, kind)) return undefined;
  }
  return v as T;
}

function fits(field: unknown, kind: Shape[string]): boolean {
  switch (kind) {
    case "string":
      return typeof field === "string" && field.length <= MAX_TEXT;
    case "number":
      return typeof field === "number" && Number.isFinite(field);
    case "boolean":
      return typeof field === "boolean";
    case "user":
      return typeof field === "string" && HEX_32.test(field);
    case "id":
      return typeof field === "string" && ID.test(field);
    case "users":
    case "hex32s":
      return (
        Array.isArray(field) &&
        field.length <= 256 &&
        field.every((u) => typeof u === "string" && HEX_32.test(u))
      );
    case "hex32":
      return typeof field === "string" && HEX_32.test(field);
    case "sig":
      return field instanceof Uint8Array && field.length === SIG_BYTES;
  }
}

/** Cuts user text to what a record may hold (by UTF-16 units, never inside a surrogate pair). */
export function clampText(text: string, max = MAX_TEXT): string {
  if (text.length <= max) return text;
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return text.slice(0, end);
}

/** Oldest first; ties (same millisecond) by id, so every device shows one order. */
export function byTime<T extends { at: number; id: string }>(a: T, b: T): number {
  return a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
