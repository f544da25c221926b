/**
 * The IndexedDB side of a catch-up alone (bench/idb-write-probe.ts): a
 * checkout's EncryptedStore over IdbStore logs 10,000 envelopes as its Space
 * would (each batch cut by logRecords at the store's record size, several
 * batches to a commit), one commit after another. Bundled once per checkout.
 */
import { logRecords } from "../../core/space/space-log.js";
import { IdbStore } from "../../core/store/dom-idb-store.js";
import { EncryptedStore } from "../../core/store/encrypted-store.js";

let runs = 0;

interface Input {
  envelopes: number;
  bytes: number;
  batch: number;
  perCommit: number;
  /** Cut records at this many envelope bytes instead of the store's size. */
  cut?: number;
}

let prepared: { envelopes: Uint8Array[]; store: EncryptedStore } | undefined;

const api = {
  /** The envelopes made and the store opened and warm (the cipher made): not counted. */
  async prepare(input: Input) {
    const envelopes = Array.from({ length: input.envelopes }, () => {
      const e = new Uint8Array(input.bytes);
      crypto.getRandomValues(e);
      return e;
    });
    const store = new EncryptedStore(
      await IdbStore.open(`write-${runs++}`),
      new Uint8Array(32).fill(3),
    );
    await store.put("warm", new Uint8Array(1));
    prepared = { envelopes, store };
  },
  async run(input: Input) {
    if (!prepared) throw new Error("prepare first");
    const { envelopes, store } = prepared;
    const spaceId = "ab".repeat(32);
    let records = 0;
    let callMs = 0;
    const start = performance.now();
    const perCommit = input.batch * input.perCommit;
    for (let i = 0; i < envelopes.length; i += perCommit) {
      const group: [string, Uint8Array][] = [];
      const t = performance.now();
      for (let j = i; j < Math.min(envelopes.length, i + perCommit); j += input.batch) {
        group.push(
          ...logRecords(
            spaceId,
            envelopes.slice(j, j + input.batch),
            input.cut ?? store.recordBytes,
          ),
        );
      }
      const written = store.putMany(group);
      callMs += performance.now() - t;
      records += group.length;
      await written;
    }
    const wallMs = performance.now() - start;
    await store.close();
    return { records, callMs, wallMs };
  },
};

export type IdbWriteApi = typeof api;
(globalThis as unknown as { grove: IdbWriteApi }).grove = api;
