/**
 * The local store seam: keyed records, the same interface over IndexedDB
 * in the browser and files in Node. Values are opaque bytes; encryption at
 * rest is a layer on top (EncryptedStore), so every backend gets it alike.
 */

export interface Store {
  get(key: string): Promise<Uint8Array | undefined>;
  /** Durable once resolved. */
  put(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

export type StoreErrorCode = "BAD_KEY" | "CORRUPT_RECORD" | "STORE_IO" | "STORE_CLOSED";

export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** The record concerned, so a loader can skip it and go on. */
    readonly key?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Keys: 1-120 characters of [A-Za-z0-9._/-], so every backend can use them as names. */
export function checkKey(key: string): void {
  if (!/^[A-Za-z0-9._/-]{1,120}$/.test(key)) {
    throw new StoreError("BAD_KEY", `invalid store key ${JSON.stringify(key.slice(0, 40))}`);
  }
}
