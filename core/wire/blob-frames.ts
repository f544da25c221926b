/**
 * Blob frames: content-addressed, already-encrypted file chunks.
 *
 *   device -> relay  BLOB_PUT     (hash, data): the relay checks hash(data) before storing
 *   relay  -> device BLOB_PUT_OK  hash
 *   device -> relay  BLOB_GET     hash
 *   relay  -> device BLOB_DATA    (hash, data), or ERROR NOT_FOUND with the hash as ref
 */
import * as encoding from "lib0/encoding";
import { HASH_BYTES } from "./envelope.js";
import type { BlobDataFrame, BlobGetFrame, BlobPutFrame, BlobPutOkFrame } from "./frame-types.js";
import type { WireLimits } from "./limits.js";
import { type Reader, writeFixed } from "./reader.js";

export function writeBlobPut(e: encoding.Encoder, f: BlobPutFrame | BlobDataFrame): void {
  writeFixed(e, f.hash, HASH_BYTES, "hash");
  encoding.writeVarUint8Array(e, f.data);
}

export function readBlobPut(r: Reader, limits: WireLimits): BlobPutFrame {
  return {
    type: "blobPut",
    hash: r.fixed(HASH_BYTES, "hash"),
    data: r.varBytes("data", limits.maxBlobBytes),
  };
}
export function readBlobData(r: Reader, limits: WireLimits): BlobDataFrame {
  return { ...readBlobPut(r, limits), type: "blobData" };
}

export function writeBlobHash(e: encoding.Encoder, f: BlobPutOkFrame | BlobGetFrame): void {
  writeFixed(e, f.hash, HASH_BYTES, "hash");
}
export function readBlobPutOk(r: Reader): BlobPutOkFrame {
  return { type: "blobPutOk", hash: r.fixed(HASH_BYTES, "hash") };
}
export function readBlobGet(r: Reader): BlobGetFrame {
  return { type: "blobGet", hash: r.fixed(HASH_BYTES, "hash") };
}
