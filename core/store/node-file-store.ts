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
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { checkKey, type Store, StoreError } from "./store.js";

const SUFFIX = ".rec";
/**
 * Marks a write in flight: `<hex>.t<8 hex>` stays within 255 bytes for a
 * key of 120 characters (240 hex), where `<hex>.rec.tmp-<12 hex>` did not.
 * Hex names hold no dot, so the mark is unambiguous (old `.rec.tmp-` names too).
 */
const TEMP = ".t";
/** File operations of one batch in flight at once (libuv runs four at a time by default). */
const WIDTH = 16;

const fileName = (key: string) => Buffer.from(key, "utf8").toString("hex") + SUFFIX;
const keyOf = (name: string) => Buffer.from(name.slice(0, -SUFFIX.length), "hex").toString("utf8");

interface Write {
  key: string;
  value: Uint8Array;
  target: string;
  temp: string;
}

export class FileStore implements Store {
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
    const writes: Write[] = [...new Map(entries)].map(([key, value]) => {
      const target = join(this.dir, fileName(key));
      return {
        key,
        value,
        target,
        temp: `${target.slice(0, -SUFFIX.length)}${TEMP}${randomBytes(4).toString("hex")}`,
      };
    });
    try {
      await eachLimited(writes, (w) => keyed(w.key, () => writeSynced(w.temp, w.value)));
      await eachLimited(writes, (w) => keyed(w.key, () => rename(w.temp, w.target)));
      await this.syncDir().catch((err) => {
        const only = writes.length === 1 ? writes[0]?.key : undefined;
        throw io(`cannot write ${only ?? `a batch of ${writes.length}`}`, err, only);
      });
    } catch (err) {
      await Promise.all(writes.map((w) => rm(w.temp, { force: true })));
      throw err;
    }
  }

  delete(key: string): Promise<void> {
    return this.deleteMany([key]);
  }

  async deleteMany(keys: string[]): Promise<void> {
    this.checkAll(keys);
    await eachLimited(keys, (key) =>
      rm(join(this.dir, fileName(key)), { force: true }).catch((err) => {
        throw io(`cannot delete ${key}`, err, key);
      }),
    );
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

  /** Makes the renames themselves durable. */
  private async syncDir(): Promise<void> {
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

async function writeSynced(path: string, value: Uint8Array): Promise<void> {
  const file = await open(path, "w");
  try {
    await file.writeFile(value);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Runs `work` on a write's key, turning a failure into STORE_IO for that key. */
async function keyed(key: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    throw io(`cannot write ${key}`, err, key);
  }
}

/**
 * Runs `work` over `items`, WIDTH at a time. After a failure no new item
 * starts; it rejects with the first error once those in flight have settled,
 * so nothing is still writing when the caller cleans up.
 */
async function eachLimited<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  // One iterator shared by the workers: each takes the next item not yet taken.
  const queue = items.values();
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    for (let step = queue.next(); failure === undefined && !step.done; step = queue.next()) {
      try {
        await work(step.value);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(WIDTH, items.length) }, worker));
  if (failure) throw failure.error;
}

function io(message: string, cause: unknown, key?: string): StoreError {
  return new StoreError("STORE_IO", `${message}: ${(cause as Error).message}`, key, { cause });
}
