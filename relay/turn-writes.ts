/**
 * Frames a connection sends within one turn of the event loop leave in one
 * write. A group commit settles many sends at once, and each may deliver
 * to the same socket: corked until the turn ends, they reach the kernel as
 * one writev instead of one system call per frame. Nothing waits longer
 * than the turn that produced it.
 */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

export class TurnWrites {
  private corked = false;

  constructor(private readonly socket: Corkable) {}

  /** Call before writing: holds this turn's writes, released once the turn is over. */
  hold(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    setImmediate(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }
}
