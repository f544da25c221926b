import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { messageOf, messageRead, messages, messagesOf } from "../core/space/tools/chat.js";
import { MessageIndex } from "../core/space/tools/chat-index.js";

const user = (i: number) => i.toString(16).padStart(64, "0");

/** A well-formed record, or (bad) one the reader refuses. */
const record = (id: string, at: number, text: string, bad: boolean) =>
  bad
    ? { id, at: "never" }
    : { id, author: user(1), device: user(2), n: 1, name: "A", at, text, mentions: [] };
/** A message id as records carry them (16 to 64 hex digits). */
const mid = (k: number) => k.toString(16).padStart(16, "0");

const step = fc.record({
  key: fc.integer({ min: 0, max: 30 }),
  at: fc.integer({ min: 0, max: 50 }),
  op: fc.constantFrom("put", "put", "put", "delete", "bad", "wrongId"),
  text: fc.string({ maxLength: 4 }),
  // Steps in one transaction with the next one (as a batch of envelopes is applied).
  together: fc.boolean(),
});

describe("MessageIndex", () => {
  it("always lists what messages(doc) lists, through puts, edits, deletes and junk", () => {
    let listed = 0;
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 60 }),
        fc.integer({ min: 0, max: 60 }),
        (steps, readEvery) => {
          const doc = new Y.Doc();
          const index = new MessageIndex(doc);
          const map = messagesOf(doc);
          let i = 0;
          while (i < steps.length) {
            doc.transact(() => {
              do {
                const s = steps[i]!;
                const id = mid(s.key);
                if (s.op === "delete") map.delete(id);
                else if (s.op === "wrongId")
                  map.set(id, record(mid(s.key + 1000), s.at, s.text, false));
                else map.set(id, record(id, s.at, s.text, s.op === "bad"));
                i++;
              } while (i < steps.length && steps[i - 1]!.together);
            });
            if (readEvery === 0 || i % readEvery === 0)
              expect(index.messages()).toEqual(messages(doc));
          }
          expect(index.messages()).toEqual(messages(doc));
          // Not vacuous: most cases end with messages to list.
          if (index.messages().length > 0) listed++;
          index.destroy();
        },
      ),
      { numRuns: 300 },
    );
    expect(listed).toBeGreaterThan(100);
  });

  it("gives the same array while nothing changed, a new one once a message did", () => {
    const doc = new Y.Doc();
    const index = new MessageIndex(doc);
    messagesOf(doc).set(mid(1), record(mid(1), 1, "hi", false));
    const first = index.messages();
    doc.getMap("other").set("x", 1);
    expect(index.messages()).toBe(first);
    messagesOf(doc).set(mid(2), record(mid(2), 2, "hello", false));
    expect(index.messages()).not.toBe(first);
    expect(index.messages().map((m) => m.id)).toEqual([mid(1), mid(2)]);
  });

  it("picks up a doc that already holds messages, and an earlier message arriving late", () => {
    const doc = new Y.Doc();
    messagesOf(doc).set(mid(5), record(mid(5), 5, "later", false));
    const index = new MessageIndex(doc);
    expect(index.messages().map((m) => m.id)).toEqual([mid(5)]);
    messagesOf(doc).set(mid(1), record(mid(1), 1, "earlier", false));
    expect(index.messages().map((m) => m.id)).toEqual([mid(1), mid(5)]);
  });

  it("reads a record without the verdict memo exactly as with it, whatever the value", () => {
    const field = fc.oneof(
      fc.anything(),
      fc.constant(user(3)),
      fc.constant([user(4)]),
      fc.constant(new Uint8Array(64)),
      fc.string({ maxLength: 20 }),
      fc.double(),
    );
    const value = fc.oneof(
      fc.anything(),
      fc.record({
        id: fc.oneof(fc.constant(mid(7)), field),
        author: fc.oneof(fc.constant(user(1)), field),
        device: fc.oneof(fc.constant(user(2)), field),
        n: fc.oneof(fc.nat(), field),
        name: fc.oneof(fc.constant("A"), field),
        at: fc.oneof(fc.nat(), field),
        text: fc.oneof(fc.string(), field),
        mentions: fc.oneof(fc.constant([]), field),
        deleted: fc.oneof(fc.boolean(), field),
        sig: fc.oneof(fc.constant(new Uint8Array(64)), field),
      }),
    );
    fc.assert(
      fc.property(value, (v) => {
        expect(messageRead(mid(7), v)).toBe(messageOf(mid(7), v));
      }),
      { numRuns: 500 },
    );
  });
});
