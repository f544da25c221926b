/**
 * Small counter rows (a mailbox's next seq and size, a source's share of a
 * mailbox, an envelope's reference count) read once and written back once
 * per group commit. A send to ten mailboxes used to read and rewrite each
 * mailbox row per send, and ten acks of one envelope rewrote its count ten
 * times; here each changed row is written once, inside the same
 * transaction, so what a commit makes durable is unchanged.
 *
 * Changes are staged per write: a write that fails (its savepoint rolled
 * back) drops its staged changes too. The store owns its file exclusively,
 * so rows cached here cannot change underneath; a commit that fails throws
 * the whole cache away, and rows are read again.
 */
export class WriteBehind<V> {
  /** Rows as of the current transaction: committed, or changed by writes that succeeded. */
  private rows = new Map<string, V>();
  /** Keys changed since the last write-back. */
  private dirty = new Set<string>();
  /** Changes of the write running now. */
  private staged = new Map<string, V>();

  constructor(
    /** Past this many rows held, rows already written back are forgotten. */
    private readonly maxRows: number,
  ) {}

  /** The row as the running write sees it; `load` reads it from the database the first time. */
  get(key: string, load: () => V): V {
    const staged = this.staged.get(key);
    if (staged !== undefined) return staged;
    const row = this.rows.get(key);
    if (row !== undefined) return row;
    const loaded = load();
    this.rows.set(key, loaded);
    return loaded;
  }

  /**
   * The row as the running write sees it, if held: get() without its loader,
   * for hot paths where a closure per call is garbage; a miss is read by the
   * caller and handed to loaded().
   */
  peek(key: string): V | undefined {
    return this.staged.get(key) ?? this.rows.get(key);
  }

  /** A row the caller read from the database after peek() missed. */
  loaded(key: string, row: V): V {
    this.rows.set(key, row);
    return row;
  }

  /** Values are replaced, never mutated: a staged change must not leak into `rows`. */
  set(key: string, value: V): void {
    this.staged.set(key, value);
  }

  /**
   * A change made while no write runs (nothing staged), such as a seq
   * handed out at staging: part of the transaction at once, as set() then
   * keep() would make it, without a staged map filled and cleared per call.
   */
  setKept(key: string, value: V): void {
    if (this.staged.size > 0) throw new Error("setKept while a write is running");
    this.rows.set(key, value);
    this.dirty.add(key);
  }

  /** The running write succeeded: its changes become part of the transaction. */
  keep(): void {
    // Clearing an empty map still allocates it a new table, once per write.
    if (this.staged.size === 0) return;
    for (const [key, value] of this.staged) {
      this.rows.set(key, value);
      this.dirty.add(key);
    }
    this.staged.clear();
  }

  /** The running write failed and was rolled back. */
  drop(): void {
    this.staged.clear();
  }

  /** Changed rows, to be written inside the transaction; then forgotten as changed. */
  takeChanged(): [string, V][] {
    const changed: [string, V][] = [];
    for (const key of this.dirty) {
      // keep() puts every dirty key in rows, and rows are cleared only below, once written.
      const row = this.rows.get(key);
      if (row !== undefined) changed.push([key, row]);
    }
    this.dirty.clear();
    if (this.rows.size > this.maxRows) this.rows.clear();
    return changed;
  }

  /** The transaction failed: nothing here can be trusted. */
  reset(): void {
    this.rows = new Map();
    this.dirty = new Set();
    this.staged = new Map();
  }
}
