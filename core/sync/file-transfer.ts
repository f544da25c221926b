/**
 * Moving a shared file's chunks to and from the relay's blob store: seal
 * and put them in order, or get, check and open them in order, reporting
 * progress by bytes. A chunk whose request was cut off (the link dropped,
 * the relay was slow or busy) is tried again a few times; a refusal that
 * trying again cannot fix (quota, size) ends the transfer at once.
 */
import { fromHex, toHex } from "../crypto/bytes.js";
import { CHUNK_BYTES, joinChunks, openChunk, sealFile } from "../crypto/file-chunks.js";
import { RelayError } from "./relay-error.js";

/** What the relay link offers for blobs (RelayTransport). */
export interface BlobLink {
  putBlob(hash: Uint8Array, data: Uint8Array): Promise<void>;
  getBlob(hash: Uint8Array): Promise<Uint8Array>;
}

export interface FileManifest {
  /** secretbox key (hex) and each sealed chunk's SHA-256 (hex), in order. */
  key: string;
  chunks: string[];
  size: number;
}

export type Progress = (done: number, total: number) => void;

/** Refusals worth another try after a pause. */
const TRANSIENT = new Set(["CONNECTION_LOST", "BLOB_TIMEOUT", "OFFLINE", "RATE_LIMITED"]);
const ATTEMPTS = 4;

export interface TransferOptions {
  onProgress?: Progress;
  /** Pause before try n (1-based), in ms. */
  retryDelayMs?: (attempt: number) => number;
}

/** Seals `bytes` and stores every chunk at the relay; resolves with the manifest to list. */
export async function uploadFile(
  link: BlobLink,
  bytes: Uint8Array,
  options: TransferOptions = {},
): Promise<FileManifest> {
  const sealed = sealFile(bytes);
  options.onProgress?.(0, bytes.length);
  for (const [i, chunk] of sealed.chunks.entries()) {
    await withRetries(() => link.putBlob(chunk.hash, chunk.box), options);
    options.onProgress?.(Math.min((i + 1) * CHUNK_BYTES, bytes.length), bytes.length);
  }
  return {
    key: toHex(sealed.key),
    chunks: sealed.chunks.map((c) => toHex(c.hash)),
    size: bytes.length,
  };
}

/** Fetches, checks and opens every chunk of a file; throws CryptoError for a chunk that is not its own. */
export async function downloadFile(
  link: BlobLink,
  manifest: FileManifest,
  options: TransferOptions = {},
): Promise<Uint8Array> {
  const key = fromHex(manifest.key);
  const parts: Uint8Array[] = [];
  let done = 0;
  options.onProgress?.(0, manifest.size);
  for (const [index, hex] of manifest.chunks.entries()) {
    const hash = fromHex(hex);
    const box = await withRetries(() => link.getBlob(hash), options);
    const plain = openChunk(box, { hash, key, index });
    parts.push(plain);
    done += plain.length;
    options.onProgress?.(Math.min(done, manifest.size), manifest.size);
  }
  return joinChunks(parts, manifest.size);
}

async function withRetries<T>(work: () => Promise<T>, options: TransferOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof RelayError) || !TRANSIENT.has(err.code) || attempt >= ATTEMPTS) {
        throw err;
      }
      const delay = options.retryDelayMs?.(attempt) ?? 500 * 2 ** (attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
