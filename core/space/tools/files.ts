/**
 * Files shared in a space (pure: no I/O). The bytes live at the relay as
 * encrypted chunks (core/crypto/file-chunks.ts); the doc holds each file's
 * manifest, which is what makes the chunks readable:
 *
 *   map "files/items":  file id -> FileRecord (plain JSON record)
 *
 * Removing a file rewrites its record as a tombstone (no key, no chunks),
 * so nobody who syncs after the removal learns how to read it. Members who
 * had the manifest before can still fetch and open its chunks; a removal
 * hides a file, it cannot unshare it.
 */
import type * as Y from "yjs";
import { CHUNK_BYTES } from "../../crypto/file-chunks.js";
import { byTime, readRecord } from "./records.js";

/** Largest file shared at once: it is sealed in memory, and the shell's dialogs stop here too. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_NAME = 255;

export interface FileRecord {
  id: string;
  /** Shown name, one path segment. */
  name: string;
  /** Media type as the sender's system named it ("" when unknown); never trusted for display. */
  type: string;
  size: number;
  /** User key (hex) of who shared it, and their display name then. */
  by: string;
  byName: string;
  at: number;
  /** secretbox key of the file (hex), and the SHA-256 of each sealed chunk in order. */
  key: string;
  chunks: string[];
}

interface Tombstone {
  id: string;
  removed: true;
}

const ITEMS = "files/items";

const SHAPE = {
  id: "id",
  name: "string",
  type: "string",
  size: "number",
  by: "user",
  byName: "string",
  at: "number",
  key: "hex32",
  chunks: "hex32s",
} as const;

/**
 * A file name cut to one segment every system saves as shown: no
 * separators, control or bidi-override characters (which make
 * "invoice\u202Egpj.exe" read as "invoiceexe.jpg"), none of Windows'
 * reserved characters, no trailing dots or spaces, never empty.
 */
export function safeFileName(name: string): string {
  const cleaned = name
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f/\\<>:"|?*]/g, "_")
    .replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "")
    .trim();
  const cut = [...cleaned]
    .slice(0, MAX_NAME)
    .join("")
    .replace(/[. ]+$/, "");
  return cut === "" ? "file" : cut;
}

/** Every shared file still listed, newest first. A record of the wrong shape is skipped. */
export function files(doc: Y.Doc): FileRecord[] {
  const out: FileRecord[] = [];
  for (const [id, value] of doc.getMap<unknown>(ITEMS)) {
    const f = readRecord<FileRecord>(value, SHAPE);
    if (!f || f.id !== id || !plausible(f)) continue;
    out.push({ ...f, name: safeFileName(f.name) });
  }
  return out.sort((a, b) => -byTime(a, b));
}

/** A size that fits its chunk count, within the limit. */
function plausible(f: FileRecord): boolean {
  if (!Number.isSafeInteger(f.size) || f.size < 0 || f.size > MAX_FILE_BYTES) return false;
  const expected = Math.max(1, Math.ceil(f.size / CHUNK_BYTES));
  return f.chunks.length === expected;
}

/** Lists a file (call inside `Space.edit`, once its chunks are at the relay). */
export function addFile(doc: Y.Doc, f: FileRecord): void {
  doc.getMap<unknown>(ITEMS).set(f.id, { ...f, name: safeFileName(f.name) });
}

/** Takes a file off the list for everyone; false when it is not there. */
export function removeFile(doc: Y.Doc, id: string): boolean {
  const map = doc.getMap<unknown>(ITEMS);
  if (!readRecord<FileRecord>(map.get(id), SHAPE)) return false;
  const tombstone: Tombstone = { id, removed: true };
  map.set(id, tombstone);
  return true;
}
