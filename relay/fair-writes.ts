/**
 * Store writes taken in turn by source. The store commits one batch at a
 * time on one thread, so whoever writes most would set everyone's ack
 * latency; here each source (client IP, or access token) has its own queue,
 * sources take turns a write at a time, and only so many bytes are handed
 * to the store at once. A source that floods waits behind its own writes:
 * its received bytes stay counted, so the relay stops reading from it,
 * while a small honest send goes with the next batch.
 *
 * Writes of one source run in the order they were queued.
 */
interface Job {
  bytes: number;
  start: () => Promise<unknown>;
  settle: (outcome: Promise<unknown>) => void;
}

export class FairWrites {
  private readonly queues = new Map<string, Job[]>();
  /** Sources with queued writes, in turn order. */
  private ring: string[] = [];
  private inFlightBytes = 0;
  private inFlight = 0;

  constructor(private readonly maxInFlightBytes: number) {}

  get queuedSources(): number {
    return this.queues.size;
  }

  run<T>(source: string, bytes: number, start: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        bytes,
        start,
        settle: (outcome) => (outcome as Promise<T>).then(resolve, reject),
      };
      const queue = this.queues.get(source);
      if (queue) queue.push(job);
      else {
        this.queues.set(source, [job]);
        this.ring.push(source);
      }
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (let source = this.ring[0]; source !== undefined; source = this.ring[0]) {
      const queue = this.queues.get(source);
      const job = queue?.[0];
      if (!queue || !job) {
        // A source is in the ring only while it has a queued job; a stale entry is dropped.
        this.ring.shift();
        this.queues.delete(source);
        continue;
      }
      // One write always goes, however large, so a big one cannot wait forever.
      if (this.inFlight > 0 && this.inFlightBytes + job.bytes > this.maxInFlightBytes) return;
      queue.shift();
      this.ring.shift();
      if (queue.length > 0) this.ring.push(source);
      else this.queues.delete(source);
      this.inFlight++;
      this.inFlightBytes += job.bytes;
      let outcome: Promise<unknown>;
      try {
        outcome = job.start();
      } catch (err) {
        outcome = Promise.reject(err);
      }
      job.settle(outcome);
      const done = () => {
        this.inFlight--;
        this.inFlightBytes -= job.bytes;
        this.dispatch();
      };
      outcome.then(done, done);
    }
  }
}
