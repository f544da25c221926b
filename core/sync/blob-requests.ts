/**
 * Blob puts and gets in flight on one relay connection, keyed by the blob's
 * hash (the relay answers BLOB_PUT_OK or BLOB_DATA with it, and refuses with
 * it as the error's ref). A get is answered only by data that hashes to what
 * was asked: a relay cannot hand back other bytes. Concurrent requests for
 * one hash share one frame. Nothing outlives the connection: when it drops,
 * every waiter hears CONNECTION_LOST and may try again.
 */
import { bytesKey, equalBytes } from "../crypto/bytes.js";
import { hash32 } from "../crypto/hash.js";
import { HASH_BYTES } from "../wire/envelope.js";
import type { Frame } from "../wire/frame-types.js";
import { RelayError } from "./relay-error.js";

interface Waiter<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: RelayError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class BlobRequests {
  private readonly puts = new Map<string, Waiter<void>>();
  private readonly gets = new Map<string, Waiter<Uint8Array>>();

  constructor(
    /** Writes a frame on the current connection; 0 when there is none. */
    private readonly write: (frame: Frame) => number,
    private readonly timeoutMs = 60_000,
  ) {}

  /** Stores `data` (already encrypted) under `hash` at the relay; resolves once it is stored. */
  put(hash: Uint8Array, data: Uint8Array): Promise<void> {
    if (!equalBytes(hash32(data), hash)) {
      return Promise.reject(new RelayError("HASH_MISMATCH", "blob data does not match its hash"));
    }
    return this.request(this.puts, hash, { type: "blobPut", hash, data });
  }

  /** The blob stored under `hash`, checked against it. */
  get(hash: Uint8Array): Promise<Uint8Array> {
    return this.request(this.gets, hash, { type: "blobGet", hash });
  }

  /** True when the frame answered a request of ours. */
  onFrame(frame: Frame): boolean {
    if (frame.type === "blobPutOk") return this.settle(this.puts, frame.hash, undefined);
    if (frame.type !== "blobData") return false;
    if (!equalBytes(hash32(frame.data), frame.hash)) {
      return this.fail(
        this.gets,
        frame.hash,
        new RelayError("HASH_MISMATCH", "the relay sent blob data that does not match its hash"),
      );
    }
    return this.settle(this.gets, frame.hash, frame.data);
  }

  /** A relay refusal whose ref is a blob hash: true when it concerned a request of ours. */
  onRefusal(ref: Uint8Array, code: string, message: string): boolean {
    const error = new RelayError(code, message);
    const put = this.fail(this.puts, ref, error);
    const get = this.fail(this.gets, ref, error);
    return put || get;
  }

  /** Every request in flight fails: the connection they were asked on is gone. */
  failAll(code: string, message: string): void {
    for (const map of [this.puts, this.gets] as Map<string, Waiter<unknown>>[]) {
      for (const [id, waiter] of map) {
        clearTimeout(waiter.timer);
        waiter.reject(new RelayError(code, message));
        map.delete(id);
      }
    }
  }

  get pending(): number {
    return this.puts.size + this.gets.size;
  }

  private request<T>(map: Map<string, Waiter<T>>, hash: Uint8Array, frame: Frame): Promise<T> {
    if (hash.length !== HASH_BYTES) {
      return Promise.reject(new RelayError("BAD_HASH", `a blob hash is ${HASH_BYTES} bytes`));
    }
    const id = bytesKey(hash);
    const existing = map.get(id);
    if (existing) return existing.promise;
    let resolve!: (value: T) => void;
    let reject!: (err: RelayError) => void;
    const promise = new Promise<T>((ok, no) => {
      resolve = ok;
      reject = no;
    });
    const timer = setTimeout(
      () =>
        this.fail(map, hash, new RelayError("BLOB_TIMEOUT", "the relay did not answer in time")),
      this.timeoutMs,
    );
    map.set(id, { promise, resolve, reject, timer });
    if (this.write(frame) === 0) {
      this.fail(map, hash, new RelayError("OFFLINE", "not connected to the relay"));
    }
    return promise;
  }

  private settle<T>(map: Map<string, Waiter<T>>, hash: Uint8Array, value: T): boolean {
    const waiter = this.take(map, hash);
    waiter?.resolve(value);
    return waiter !== undefined;
  }

  private fail<T>(map: Map<string, Waiter<T>>, hash: Uint8Array, error: RelayError): boolean {
    const waiter = this.take(map, hash);
    waiter?.reject(error);
    return waiter !== undefined;
  }

  /** The waiter for `hash`, no longer waiting (its timer cleared), or undefined. */
  private take<T>(map: Map<string, Waiter<T>>, hash: Uint8Array): Waiter<T> | undefined {
    const id = bytesKey(hash);
    const waiter = map.get(id);
    if (!waiter) return undefined;
    map.delete(id);
    clearTimeout(waiter.timer);
    return waiter;
  }
}
