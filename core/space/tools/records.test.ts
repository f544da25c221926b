/**
 * Records come out of a Y.Doc that any member can write to. Yjs decodes a
 * value's object keys by assigning them (lib0's readAny), so a `__proto__`
 * key sent by a hostile member becomes the prototype of the object every
 * receiver reads: fields the sender never put on the record itself (and that
 * signatures, made over a record's own fields, never covered) would be read
 * through it. Such a record is refused like any other malformed one.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { checkRecord, readRecord, type Shape } from "./records.js";

const SHAPE: Shape = { by: "user", at: "number", "done?": "boolean" };
const BY = "ab".repeat(32);

/** What a receiver reads after a member set `value` under "r" of a map and sent the update. */
function received(value: object): unknown {
  const sender = new Y.Doc();
  sender.getMap("m").set("r", value);
  const receiver = new Y.Doc();
  Y.applyUpdate(receiver, Y.encodeStateAsUpdate(sender));
  return receiver.getMap("m").get("r");
}

/** An object with an own `__proto__` key, as a hostile member's app would make one. */
function withProtoKey(proto: unknown, own: Record<string, unknown>): object {
  const out: Record<string, unknown> = { ...own };
  Object.defineProperty(out, "__proto__", { value: proto, enumerable: true, writable: true });
  return out;
}

describe("records read from a doc", () => {
  it("refuse a record whose prototype a member chose through a __proto__ key", () => {
    const value = received(withProtoKey({ done: true }, { by: BY, at: 1 }));
    // What Yjs hands back: `done` read through a prototype the sender chose.
    expect((value as { done?: boolean }).done).toBe(true);
    expect(Object.hasOwn(value as object, "done")).toBe(false);
    expect(readRecord(value, SHAPE)).toBeUndefined();
    expect(checkRecord(value, SHAPE)).toBeUndefined();
    expect(readRecord(received(withProtoKey(null, { by: BY, at: 1 })), SHAPE)).toBeUndefined();
  });

  it("take any record of the shape received plainly, and then every field it names is its own", () => {
    fc.assert(
      fc.property(fc.integer(), fc.option(fc.boolean(), { nil: undefined }), (at, done) => {
        const value = received({ by: BY, at, ...(done !== undefined && { done }) });
        const record = readRecord<Record<string, unknown>>(value, SHAPE);
        expect(record).toBeDefined();
        for (const key of ["by", "at", "done"]) {
          if (record?.[key] !== undefined) expect(Object.hasOwn(record, key)).toBe(true);
        }
      }),
      { numRuns: 50 },
    );
  });
});
