/**
 * Store on the file system, for Node and Electron's main side: one file per
 * record, written atomically (temp file, fsync, rename, fsync of the
 * directory), so a crash leaves either the old record or the new one.
 * Keys map to file names by hex, so no key can reach outside the directory.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { checkKey, type Store, StoreError } from "./store.js";

const SUFFIX = ".rec";
const TEMP = ".tmp-";

const fileName = (key: string) => Buffer.from(key, "utf8").toString("hex") + SUFFIX;
const keyOf = (name: string) => Buffer.from(name.slice(0, -SUFFIX.length), "hex").toString("utf8");

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

  async put(key: string, value: Uint8Array): Promise<void> {
    this.check(key);
    const target = join(this.dir, fileName(key));
    const temp = `${target}${TEMP}${randomBytes(6).toString("hex")}`;
    try {
      const file = await open(temp, "w");
      try {
        await file.writeFile(value);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, target);
      await this.syncDir();
    } catch (err) {
      await rm(temp, { force: true });
      throw io(`cannot write ${key}`, err, key);
    }
  }

  async delete(key: string): Promise<void> {
    this.check(key);
    try {
      await rm(join(this.dir, fileName(key)), { force: true });
      await this.syncDir();
    } catch (err) {
      throw io(`cannot delete ${key}`, err, key);
    }
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
    if (this.closed) throw new StoreError("STORE_CLOSED", "store is closed");
    checkKey(key);
  }

  /** Makes the rename itself durable. */
  private async syncDir(): Promise<void> {
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

function io(message: string, cause: unknown, key?: string): StoreError {
  return new StoreError("STORE_IO", `${message}: ${(cause as Error).message}`, key, { cause });
}
