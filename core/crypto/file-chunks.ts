/**
 * A shared file as relay blobs: the bytes are cut into chunks, each sealed
 * with secretbox under a key of the file's own (random, carried in the
 * space's doc, so only members read it) and stored at the relay under the
 * SHA-256 of the sealed chunk. The relay sees sizes and hashes, never
 * content; a member fetching a chunk checks its hash before opening it, and
 * the list of hashes fixes the order.
 *
 * Chunk i is sealed with nonce = i (big-endian, 24 bytes): the key is used
 * for this one file only, so each nonce is used once per key.
 */
import { concatBytes, equalBytes } from "./bytes.js";
import { CryptoError } from "./errors.js";
import { hash32 } from "./hash.js";
import { randomBytes } from "./random.js";
import {
  openSecretbox,
  SECRETBOX_KEY_BYTES,
  SECRETBOX_NONCE_BYTES,
  sealSecretbox,
} from "./secretbox.js";

/** Plaintext bytes per chunk: a sealed chunk (nonce and tag added) fits a 1 MiB relay blob. */
export const CHUNK_BYTES = 1024 * 1024 - 64;

export interface SealedChunk {
  hash: Uint8Array;
  box: Uint8Array;
}

export interface SealedFile {
  key: Uint8Array;
  size: number;
  chunks: SealedChunk[];
}

function nonceFor(index: number): Uint8Array {
  const nonce = new Uint8Array(SECRETBOX_NONCE_BYTES);
  new DataView(nonce.buffer).setBigUint64(SECRETBOX_NONCE_BYTES - 8, BigInt(index));
  return nonce;
}

/** Seals a file's bytes as chunks under a fresh key (an empty file is one empty chunk). */
export function sealFile(bytes: Uint8Array, chunkBytes = CHUNK_BYTES): SealedFile {
  const key = randomBytes(SECRETBOX_KEY_BYTES);
  const chunks: SealedChunk[] = [];
  for (let at = 0, i = 0; at < bytes.length || i === 0; at += chunkBytes, i++) {
    const box = sealSecretbox(bytes.subarray(at, at + chunkBytes), nonceFor(i), key);
    chunks.push({ hash: hash32(box), box });
  }
  return { key, size: bytes.length, chunks };
}

/**
 * Opens chunk `index` of a file: the bytes must hash to `hash` and open
 * under `key` with that index's nonce. Throws CryptoError otherwise.
 */
export function openChunk(
  box: Uint8Array,
  expected: { hash: Uint8Array; key: Uint8Array; index: number },
): Uint8Array {
  if (!equalBytes(hash32(box), expected.hash)) {
    throw new CryptoError("BAD_FORMAT", "file chunk does not match its hash");
  }
  const nonce = nonceFor(expected.index);
  if (!equalBytes(box.subarray(0, SECRETBOX_NONCE_BYTES), nonce)) {
    throw new CryptoError("BAD_FORMAT", "file chunk is out of place");
  }
  const plain = openSecretbox(box, expected.key);
  if (!plain) throw new CryptoError("DECRYPT_FAILED", "file chunk does not open with its key");
  return plain;
}

/** The file from its opened chunks, checked against the size its manifest states. */
export function joinChunks(chunks: Uint8Array[], size: number): Uint8Array {
  const bytes = concatBytes(...chunks);
  if (bytes.length !== size) {
    throw new CryptoError("BAD_FORMAT", `file is ${bytes.length} bytes, not the ${size} stated`);
  }
  return bytes;
}
