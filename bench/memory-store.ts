/** A store in memory, for benches: to separate the disk's share of a figure, or to author fast. */
import type { Store } from "../core/store/store.js";

export class MemoryStore implements Store {
  private readonly records = new Map<string, Uint8Array>();
  async get(key: string) {
    return this.records.get(key);
  }
  async put(key: string, value: Uint8Array) {
    this.records.set(key, value.slice());
  }
  async putMany(entries: [string, Uint8Array][]) {
    for (const [key, value] of entries) this.records.set(key, value.slice());
  }
  async delete(key: string) {
    this.records.delete(key);
  }
  async deleteMany(keys: string[]) {
    for (const key of keys) this.records.delete(key);
  }
  async list(prefix: string) {
    return [...this.records.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
  async close() {}
}
