/**
 * packEnqueue / unpackEnqueue (relay/store/worker-protocol.ts): an enqueue
 * crosses to the store worker as one buffer and its envelope. Whatever the
 * request (any targets, sources, live flags, quotas, expiry), what the worker
 * unpacks is the request, quota and staged wish that were packed; targets
 * of mixed lengths are not packed at all.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EnqueueRequest, MailboxQuota } from "../relay/store/relay-store.js";
import { packEnqueue, unpackEnqueue } from "../relay/store/worker-protocol.js";

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

const request = fc
  .record({
    keyBytes: fc.constantFrom(32, 1, 0),
    n: fc.integer({ min: 0, max: 30 }),
    sender: fc.uint8Array({ maxLength: 40 }),
    msgId: fc.uint8Array({ maxLength: 20 }),
    flags: fc.integer({ min: 0, max: 0xffffffff }),
    envelope: fc.uint8Array({ maxLength: 300 }),
    expiresAt: fc.oneof(fc.integer({ min: 0, max: 2 ** 52 }), fc.double({ noNaN: true })),
    source: fc.option(fc.string({ unit: "grapheme", maxLength: 20 }), { nil: undefined }),
    withLive: fc.boolean(),
  })
  .chain((r) =>
    fc.record({
      r: fc.constant(r),
      targets: fc.array(bytes(r.keyBytes), { minLength: r.n, maxLength: r.n }),
      live: fc.array(fc.boolean(), { minLength: r.n, maxLength: r.n }),
    }),
  )
  .map(
    ({ r, targets, live }): EnqueueRequest => ({
      sender: r.sender,
      msgId: r.msgId,
      targets,
      flags: r.flags,
      envelope: r.envelope,
      expiresAt: r.expiresAt,
      ...(r.source !== undefined && { source: r.source }),
      ...(r.withLive && { live }),
    }),
  );

const quota: fc.Arbitrary<MailboxQuota> = fc.record(
  {
    maxMessages: fc.integer({ min: 0, max: 2 ** 40 }),
    maxBytes: fc.integer({ min: 0, max: 2 ** 52 }),
    sourceShareBytes: fc.integer({ min: 0, max: 2 ** 52 }),
  },
  { requiredKeys: ["maxMessages", "maxBytes"] },
);

const plain = (r: EnqueueRequest) => ({
  ...r,
  sender: [...r.sender],
  msgId: [...r.msgId],
  envelope: [...r.envelope],
  targets: r.targets.map((t) => [...t]),
});

describe("worker protocol: a packed enqueue", () => {
  it("unpacks to what was packed", () => {
    fc.assert(
      fc.property(request, quota, fc.boolean(), (req, q, wantsStaged) => {
        const packed = packEnqueue(req, q, wantsStaged);
        if (!packed) throw new Error("one key length is always packed");
        // Across threads it is a structured clone: the worker gets copies.
        const got = unpackEnqueue(structuredClone(packed));
        expect(plain(got.request)).toEqual(plain(req));
        expect(got.quota).toEqual(q);
        expect(got.wantsStaged).toBe(wantsStaged);
      }),
      { numRuns: 300 },
    );
  });

  it("is not made for targets of mixed lengths", () => {
    const req: EnqueueRequest = {
      sender: new Uint8Array(32),
      msgId: new Uint8Array(16),
      targets: [new Uint8Array(32), new Uint8Array(31)],
      flags: 0,
      envelope: new Uint8Array(3),
      expiresAt: 1,
    };
    expect(packEnqueue(req, { maxMessages: 1, maxBytes: 1 }, false)).toBeUndefined();
  });
});
