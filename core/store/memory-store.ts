/**
 * A Store that keeps its records in memory and nothing past `close`: for
 * benches (to separate the disk's share of a figure, or to author fast) and
 * for Node tests that need no disk. It keeps every promise of store.ts but
 * durability: keys are checked, batches refused whole for one bad key, a
 * closed store refuses every call, and values are copied in and out.
 */
import { checkKey, type Store, StoreError } from "./store.js";

export class MemoryStore implements Store {
  private readonly records = new Map<string, Uint8Array>();
  private closed = false;

  async get(key: string): Promise<Uint8Array | undefined> {
    this.check([key]);
    return this.records.get(key)?.slice();
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.check([key]);
    this.records.set(key, value.slice());
  }

  async putMany(entries: [string, Uint8Array][]): Promise<void> {
    this.check(entries.map(([key]) => key));
    for (const [key, value] of entries) this.records.set(key, value.slice());
  }

  async delete(key: string): Promise<void> {
    this.check([key]);
    this.records.delete(key);
  }

  async deleteMany(keys: string[]): Promise<void> {
    this.check(keys);
    for (const key of keys) this.records.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    this.check([]);
    return [...this.records.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.records.clear();
  }

  private check(keys: string[]): void {
    if (this.closed) throw new StoreError("STORE_CLOSED", "store is closed");
    for (const key of keys) checkKey(key);
  }
}
