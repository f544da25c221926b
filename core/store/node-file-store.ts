/**
 * Store on the file system, for Node and Electron's main side: one file per
 * record, written atomically (temp file, fsync, rename, fsync of the
 * directory), so a crash leaves either the old record or the new one.
 * Keys map to file names by hex, so no key can reach outside the directory.
 *
 * A batch (`putMany`) fsyncs each temp file, renames them all, then fsyncs
 * the directory once: two syncs per record become one, plus one per batch.
 * A crash before that last fsync may keep any subset of the batch's renames.
 * Deletes unlink without a directory fsync (see store.ts on why that is fine).
 *
 * Writes and deletes run on a worker thread (node-file-writer.mjs), one for
 * every FileStore of the process: each file operation is a round trip
 * through libuv's thread pool whose answer waits for a free turn of the
 * calling thread, and a record takes five (open, write, fsync, close,
 * rename). On a thread busy verifying and applying a catch-up, a batch's
 * write moved one step per applied batch and ended 30 ms after the last
 * apply; the worker's own thread is idle, so only the request and the
 * answer wait for this one. The promises are the same: a write resolves
 * once the worker has synced the directory.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { checkKey, type Store, StoreError } from "./store.js";

const SUFFIX = ".rec";
/**
 * Marks a write in flight: `<hex>.t<8 hex>` stays within 255 bytes for a
 * key of 120 characters (240 hex), where `<hex>.rec.tmp-<12 hex>` did not.
 * Hex names hold no dot, so the mark is unambiguous (old `.rec.tmp-` names too).
 */
const TEMP = ".t";
/**
 * Values up to this size are best written whole (Store.recordBytes): each record is a file
 * and an fsync, and on ext4 here seven 46 KB files synced at once took 7 ms where one of
 * 320 KB took 2 ms. The bound keeps one damaged file from losing more than a megabyte of log.
 */
const RECORD_BYTES = 1024 * 1024;
const fileName = (key: string) => Buffer.from(key, "utf8").toString("hex") + SUFFIX;
const keyOf = (name: string) => Buffer.from(name.slice(0, -SUFFIX.length), "hex").toString("utf8");

/** One record of a batch, its bytes at `offset` in the batch's one buffer. */
interface Write {
  key: string;
  offset: number;
  length: number;
  target: string;
  temp: string;
}

/** What the writer thread is asked (node-file-writer.mjs). */
type WriterRequest =
  | { type: "put"; dir: string; writes: Write[]; data: Uint8Array }
  | { type: "delete"; paths: { key: string; path: string }[] };

/** Its answer: done, or the first failure and the key it concerns, if one. */
type WriterReply =
  | { id: number; ok: true }
  | { id: number; ok: false; message: string; key?: string };

/**
 * The writer thread, shared by every FileStore of the process and started by
 * the first `FileStore.open`. It keeps the process alive only while a call is pending;
 * if it dies, the calls pending fail with STORE_IO and the next starts another.
 */
class Writer {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, (reply: WriterReply) => void>();
  private nextId = 1;

  /** `transfer`: buffers handed over to the thread (gone from this one), not copied. */
  call(request: WriterRequest, transfer: ArrayBuffer[] = []): Promise<WriterReply> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, resolve);
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  /** Ends the thread as a crash would (tests): what is pending fails, the next call starts anew. */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Starts the thread ahead of the first write (starting one takes tens of ms). */
  warm(): void {
    this.start();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL("./node-file-writer.mjs", import.meta.url));
    worker.unref();
    worker.on("message", (reply: WriterReply) => {
      const resolve = this.pending.get(reply.id);
      if (!resolve) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      resolve(reply);
    });
    const fail = (message: string) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, resolve] of this.pending) resolve({ id, ok: false, message });
      this.pending.clear();
    };
    worker.on("error", (err) => fail(`file writer failed: ${err.message}`));
    worker.on("exit", (code) => fail(`file writer exited with code ${code}`));
    this.worker = worker;
    return worker;
  }
}

const writer = new Writer();

/** For tests: ends the writer thread mid-write, as a crash of it would. */
export function killFileWriter(): Promise<void> {
  return writer.kill();
}

export class FileStore implements Store {
  readonly recordBytes = RECORD_BYTES;
  private closed = false;

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<FileStore> {
    try {
      await mkdir(dir, { recursive: true });
      // Temp files are writes that never reached their rename: never acknowledged, safe to drop.
      for (const name of await readdir(dir)) {
        if (name.includes(TEMP)) await rm(join(dir, name), { force: true });
      }
    } catch (err) {
      throw io(`cannot open store in ${dir}`, err);
    }
    // Started while the caller reads what the store holds, not at its first write.
    writer.warm();
    return new FileStore(dir);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.check(key);
    try {
      return new Uint8Array(await readFile(join(this.dir, fileName(key))));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw io(`cannot read ${key}`, err, key);
    }
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.putMany([[key, value]]);
  }

  async putMany(entries: [key: string, value: Uint8Array][]): Promise<void> {
    this.checkAll(entries.map(([key]) => key));
    if (entries.length === 0) return;
    // A key given twice is written once, with its last value.
    const records = [...new Map(entries)];
    // One buffer for the batch, handed to the writer thread, not cloned: cloning each value
    // (serialized here, copied again there) cost this thread more than the fsyncs did.
    let total = 0;
    for (const [, value] of records) total += value.length;
    const data = new Uint8Array(total);
    let offset = 0;
    const writes: Write[] = records.map(([key, value]) => {
      data.set(value, offset);
      const target = join(this.dir, fileName(key));
      const write = {
        key,
        offset,
        length: value.length,
        target,
        temp: `${target.slice(0, -SUFFIX.length)}${TEMP}${randomBytes(4).toString("hex")}`,
      };
      offset += value.length;
      return write;
    });
    const reply = await writer.call({ type: "put", dir: this.dir, writes, data }, [data.buffer]);
    if (reply.ok) return;
    // A record's own failure names it; the directory's sync names the batch (or its one key).
    const key = reply.key ?? (writes.length === 1 ? writes[0]?.key : undefined);
    throw io(`cannot write ${key ?? `a batch of ${writes.length}`}`, reply, key);
  }

  delete(key: string): Promise<void> {
    return this.deleteMany([key]);
  }

  async deleteMany(keys: string[]): Promise<void> {
    this.checkAll(keys);
    if (keys.length === 0) return;
    const paths = keys.map((key) => ({ key, path: join(this.dir, fileName(key)) }));
    const reply = await writer.call({ type: "delete", paths });
    if (!reply.ok)
      throw io(`cannot delete ${reply.key ?? `${keys.length} records`}`, reply, reply.key);
  }

  async list(prefix: string): Promise<string[]> {
    if (this.closed) throw new StoreError("STORE_CLOSED", "store is closed");
    const names = await readdir(this.dir).catch((err) => {
      throw io("cannot list the store", err);
    });
    return names
      .filter((n) => n.endsWith(SUFFIX) && !n.includes(TEMP))
      .map(keyOf)
      .filter((k) => k.startsWith(prefix))
      .sort();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(key: string): void {
    this.checkAll([key]);
  }

  private checkAll(keys: string[]): void {
    if (this.closed) throw new StoreError("STORE_CLOSED", "store is closed");
    for (const key of keys) checkKey(key);
  }
}

function io(message: string, cause: unknown, key?: string): StoreError {
  return new StoreError("STORE_IO", `${message}: ${(cause as { message: string }).message}`, key, {
    cause,
  });
}
