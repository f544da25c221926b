/**
 * Runs async work one piece after another, in the order asked: each piece
 * starts once the one before settled, failed or not (its caller got the
 * failure). For read-modify-write across an await, where two at once would
 * lose one's change.
 */
export class OneAtATime {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.last.then(work, work);
    // Settled either way: the caller holds `result` and gets its failure.
    this.last = Promise.allSettled([result]);
    return result;
  }
}
