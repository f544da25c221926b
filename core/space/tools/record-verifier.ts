/**
 * Checks of signed tool records (signed-records.ts) for one space: the
 * signature holds and the signing device was certified for the user the
 * record names. Checks are asynchronous (WebCrypto) and remembered per record
 * object (Yjs hands back the same object until the entry is rewritten), so a
 * view asks `verdict` on every build and hears `onSettled` when answers arrive.
 */
import { fromHex } from "../../crypto/bytes.js";
import { recentErrors } from "../../diagnostics/recent-errors.js";
import {
  type Authenticity,
  type RecordKind,
  recordSigningBytes,
  type Signed,
} from "./signed-records.js";

export interface VerifierOptions {
  spaceId: Uint8Array;
  /** The user (hex) a device (hex) was certified for in this space, or undefined. */
  userOfDevice(device: string): string | undefined;
  verify(device: Uint8Array, bytes: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** Some verdicts came in: views may want to build again. */
  onSettled(): void;
}

interface Job {
  kind: RecordKind;
  place: string;
  record: Signed;
  /** The record's signature, taken out when the job is made (a record without one is no job). */
  sig: Uint8Array;
  author: string;
}

export class RecordVerifier {
  private readonly verdicts = new WeakMap<object, Authenticity>();
  private readonly pending = new WeakMap<object, Promise<Authenticity>>();
  private queue: { job: Job; done: (a: Authenticity) => void }[] = [];
  /** Forged for now only because their device is not (yet) known here. */
  private readonly unknownDevice = new Set<object>();
  private drained: Promise<void> = Promise.resolve();
  private settledBatches = 0;

  constructor(private readonly options: VerifierOptions) {}

  /** Counts settled batches: a view built from verdicts is stale once this moves. */
  get generation(): number {
    return this.settledBatches;
  }

  /**
   * The record's authenticity as the record named by `author`, or undefined
   * while it is being checked (the check starts now). One record object sits
   * in one place of the doc, so its verdict is kept per object.
   */
  verdict(kind: RecordKind, place: string, record: Signed, author: string) {
    const known = this.verdicts.get(record);
    if (known) return known;
    void this.check(kind, place, record, author);
    // An unsigned record is judged at once: no settled batch will come to say so.
    return this.verdicts.get(record);
  }

  /** The record's authenticity once checked (for acts that must wait, like a download). */
  check(kind: RecordKind, place: string, record: Signed, author: string) {
    const known = this.verdicts.get(record);
    if (known) return Promise.resolve(known);
    const { sig } = record;
    if (!(sig instanceof Uint8Array)) {
      this.verdicts.set(record, "unsigned");
      return Promise.resolve<Authenticity>("unsigned");
    }
    let running = this.pending.get(record);
    if (!running) {
      running = new Promise<Authenticity>((done) => {
        if (this.queue.push({ job: { kind, place, record, sig, author }, done }) === 1) {
          // Settled or not (a throwing listener), `idle` must not wait forever; the listener's
          // failure is noted, the verdicts stand.
          const run = new Promise<void>((r) =>
            queueMicrotask(() =>
              this.drain().then(r, (err: unknown) => {
                recentErrors.note("RECORD_CHECK", "telling views that record checks settled", err);
                r();
              }),
            ),
          );
          this.drained = Promise.all([this.drained, run]).then(() => undefined);
        }
      });
      this.pending.set(record, running);
    }
    return running;
  }

  /** Resolves once every check asked for so far has its verdict. */
  idle(): Promise<void> {
    return this.drained;
  }

  private async drain(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    const settled = await Promise.all(
      batch.map(async ({ job, done }) => ({ job, done, verdict: await this.run(job) })),
    );
    for (const { job, done, verdict } of settled) {
      this.verdicts.set(job.record, verdict);
      this.pending.delete(job.record);
      done(verdict);
    }
    this.settledBatches++;
    this.options.onSettled();
  }

  /**
   * The space's membership changed: records whose device it did not know yet
   * (a device certified in an op still on its way) are checked again.
   */
  recheckUnknownDevices(): void {
    for (const record of this.unknownDevice) this.verdicts.delete(record);
    this.unknownDevice.clear();
  }

  private async run({ kind, place, record, sig, author }: Job): Promise<Authenticity> {
    try {
      const user = this.options.userOfDevice(record.device);
      if (user === undefined) this.unknownDevice.add(record);
      // The device must be one of the named author's, and its signature must hold.
      if (user !== author) return "forged";
      const bytes = recordSigningBytes(kind, this.options.spaceId, place, record);
      const ok = await this.options.verify(fromHex(record.device), bytes, sig);
      return ok ? "verified" : "forged";
    } catch {
      return "forged";
    }
  }
}
