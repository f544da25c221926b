/**
 * StagedMail (relay/store/staged-mail.ts), the write-behind of mail rows,
 * driven through random schedules against a plain model: sends to live and
 * offline devices, acks, time passing, commits that write what is due or
 * fail and hand it back. Every staged row ends acked or written, never
 * both and never twice; per device each commit writes rows below every row
 * still staged (so commits go in seq order); a send settles only once recorded and
 * every target holds it, and then exactly once.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EnqueueResult } from "../relay/store/relay-store.js";
import { addRow, StagedMail, type StagedSend, stagedSend } from "../relay/store/staged-mail.js";

type Op =
  | { kind: "send"; devices: number[]; live: boolean[] }
  | { kind: "ack"; device: number; share: number }
  | { kind: "tick"; ms: number }
  | { kind: "commit"; fails: boolean }
  | { kind: "record" };

const DEVICES = 4;
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .uniqueArray(fc.nat(DEVICES - 1), { minLength: 1, maxLength: DEVICES })
      .chain((devices) =>
        fc.record({
          kind: fc.constant("send" as const),
          devices: fc.constant(devices),
          live: fc.array(fc.boolean(), { minLength: devices.length, maxLength: devices.length }),
        }),
      ),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("ack" as const),
      device: fc.nat(DEVICES - 1),
      share: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.nat(80) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("commit" as const), fails: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "record" as const }) },
);

const HOLD = 50;

function run(ops: Op[]): void {
  const mail = new StagedMail(HOLD);
  let now = 1_000;
  const nextSeq = new Array<number>(DEVICES).fill(1);
  /** Per device: seq -> "staged" | "acked" | "written". */
  const fate = Array.from({ length: DEVICES }, () => new Map<number, string>());
  const written = Array.from({ length: DEVICES }, () => [] as number[]);
  const sends: { send: StagedSend; dedupe: string; settled: number }[] = [];
  const key = (d: number) => `d${d}`;
  const deviceOf = (k: string) => Number(k.slice(1));

  const commit = (fails: boolean, all = false) => {
    const due = mail.due(now, all);
    const rows = [...due.values()].flat();
    if (fails) return mail.requeue(rows);
    // One commit writes its rows together: their order within it does not matter.
    for (const row of [...rows].sort((a, b) => a.seq - b.seq)) {
      const d = deviceOf(row.key);
      expect(fate[d]?.get(row.seq)).toBe("staged");
      fate[d]?.set(row.seq, "written");
      written[d]?.push(row.seq);
    }
    mail.written(rows);
  };

  for (const o of ops) {
    if (o.kind === "send") {
      const seqs = o.devices.map((d) => {
        const seq = nextSeq[d] ?? 1;
        nextSeq[d] = seq + 1;
        fate[d]?.set(seq, "staged");
        return seq;
      });
      const result: EnqueueResult & { status: "queued" } = { status: "queued", seqs, full: [] };
      const entry = {
        send: undefined as unknown as StagedSend,
        dedupe: `s${sends.length}`,
        settled: 0,
      };
      const send = stagedSend(
        {
          sender: new Uint8Array(32),
          msgId: new Uint8Array(16),
          targets: [],
          flags: 0,
          envelope: new Uint8Array(10),
          expiresAt: now + 60_000,
        },
        "",
        now,
        result,
        () => {
          entry.settled++;
        },
        () => {
          entry.settled++;
        },
      );
      o.devices.forEach((d, i) => {
        addRow(
          send,
          key(d),
          `${key(d)}|`,
          new Uint8Array(32),
          seqs[i] ?? 0,
          o.live[i] ? now + HOLD : now,
        );
      });
      entry.send = send;
      mail.add(send, entry.dedupe, Promise.resolve(result));
      sends.push(entry);
    } else if (o.kind === "ack") {
      const d = o.device;
      const unacked = [...(fate[d] ?? [])].filter(([, f]) => f !== "acked").map(([s]) => s);
      const seqs = unacked.slice(0, Math.ceil(unacked.length * o.share));
      const rest = mail.acked(key(d), seqs);
      for (const s of seqs) {
        // What the store still holds staged is dropped here; the rest is for the database.
        expect(rest.includes(s)).toBe(fate[d]?.get(s) === "written");
        fate[d]?.set(s, "acked");
      }
    } else if (o.kind === "tick") now += o.ms;
    else if (o.kind === "commit") commit(o.fails);
    else for (const e of sends) if (!e.send.recorded) mail.recorded(e.send);
    // Staged reads are above every written row of the device, in order.
    for (let d = 0; d < DEVICES; d++) {
      const seqs = mail.read(key(d), 0, now).map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const top = Math.max(0, ...(written[d] ?? []));
      for (const s of seqs) expect(s).toBeGreaterThan(top);
    }
    for (const e of sends) {
      expect(e.settled).toBeLessThanOrEqual(1);
      if (e.settled === 1) {
        expect(e.send.recorded).toBe(true);
        expect(e.send.left).toBe(0);
        expect(e.send.rows.every((r) => r.done)).toBe(true);
      }
    }
  }
  // The end: everything recorded, time passes, commits succeed: nothing stays staged.
  for (const e of sends) if (!e.send.recorded) mail.recorded(e.send);
  now += HOLD;
  const due = mail.nextDue();
  if (due !== undefined) expect(due).toBeLessThanOrEqual(now);
  commit(false);
  expect(mail.nextDue()).toBeUndefined();
  for (let d = 0; d < DEVICES; d++) {
    for (const [, f] of fate[d] ?? []) expect(f).not.toBe("staged");
    const w = written[d] ?? [];
    expect(w).toEqual([...w].sort((a, b) => a - b));
  }
  for (const e of sends) expect(e.settled).toBe(1);
}

describe("staged mail (write-behind of mail rows)", () => {
  it("every row ends acked or written once, in seq order per device; sends settle once, when held", () => {
    fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), run), { numRuns: 400 });
  });
});
