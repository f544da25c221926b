/**
 * The chat tool's data model over a space's Y.Doc (pure: no I/O, no clock
 * of its own).
 *
 *   map "chat/messages":  message id -> ChatMessage (plain JSON record)
 *   map "chat/receipts":  reader user key -> { by: reader, counts: { author device -> n }, at }
 *
 * A message is one envelope (one `Space.edit`). Each device numbers its own
 * messages 1, 2, 3...; a reader's receipt holds, per author device, the
 * highest n up to which it holds every message, so "delivered to n of m"
 * is counted from receipts that every member can see, never from the relay.
 * Edits and deletes rewrite the record in place (deleted ones keep their
 * number, as a tombstone, so receipts stay contiguous). Messages and
 * receipts are signed by their author's device (signed-records.ts); a
 * receipt counts only when one of its reader's devices signed it.
 */
import * as Y from "yjs";
import { byTime, checkRecord, clampText, readRecord, SIGNED_SHAPE } from "./records.js";
import type { RecordTrust, Signed } from "./signed-records.js";

export interface ChatMessage {
  id: string;
  /** User key (hex) of the author. */
  author: string;
  /** Device key (hex) that wrote it, and its number among that device's messages. */
  device: string;
  n: number;
  /**
   * The author's display name when sent: part of what is signed, never shown
   * while the membership knows the author (a member could name itself anyone).
   */
  name: string;
  at: number;
  text: string;
  /** User keys (hex) mentioned. */
  mentions: string[];
  editedAt?: number;
  deleted?: boolean;
  /** The author device's signature over the record (chat-signature.ts). */
  sig?: Uint8Array;
}

const MESSAGES = "chat/messages";
const RECEIPTS = "chat/receipts";
const DEVICE = /^[0-9a-f]{64}$/;

const SHAPE = {
  id: "id",
  author: "user",
  device: "user",
  n: "number",
  name: "string",
  at: "number",
  text: "string",
  mentions: "users",
  "editedAt?": "number",
  "deleted?": "boolean",
  "sig?": "sig",
} as const;

function messagesMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap<unknown>(MESSAGES);
}

/** The map messages live in (for MessageIndex). */
export const messagesOf = messagesMap;

/** The message stored under `id`, if well-formed. */
export function messageOf(id: string, value: unknown): ChatMessage | undefined {
  const m = readRecord<ChatMessage>(value, SHAPE);
  return m && m.id === id ? m : undefined;
}

/** `messageOf` without the shared verdict memo, for MessageIndex (which keeps its own). */
export function messageRead(id: string, value: unknown): ChatMessage | undefined {
  const m = checkRecord<ChatMessage>(value, SHAPE);
  return m && m.id === id ? m : undefined;
}

/** Every well-formed message, oldest first. */
export function messages(doc: Y.Doc): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const [id, value] of messagesMap(doc)) {
    const m = messageOf(id, value);
    if (m) out.push(m);
  }
  return out.sort(byTime);
}

/** The number the next message of `device` gets. */
export function nextNumber(doc: Y.Doc, device: string): number {
  let max = 0;
  for (const value of messagesMap(doc).values()) {
    const m = readRecord<ChatMessage>(value, SHAPE);
    if (m?.device === device && m.n > max) max = m.n;
  }
  return max + 1;
}

export interface NewMessage {
  id: string;
  author: string;
  device: string;
  name: string;
  at: number;
  text: string;
  mentions: string[];
}

/** The items an update carries, decoded but not integrated; none if it does not decode. */
function itemsIn(update: Uint8Array): Y.Item[] {
  let structs: ReturnType<typeof Y.decodeUpdate>["structs"];
  try {
    structs = Y.decodeUpdate(update).structs;
  } catch {
    return [];
  }
  return structs.filter((s): s is Y.Item => s instanceof Y.Item);
}

/** The message id an item posts under, if it is a post into the messages map. */
function postedId(item: Y.Item): string | undefined {
  // Decoded but not integrated, an item names a root parent by its name (typed otherwise).
  const parent: unknown = item.parent;
  return parent === MESSAGES && typeof item.parentSub === "string" ? item.parentSub : undefined;
}

/**
 * Ids of the messages an update first posts (for "local only" while its
 * envelope waits in the outbox). Edits and deletes are not counted: Yjs
 * encodes a rewrite relative to the record it replaces, not by its key. An
 * update that does not decode posts nothing.
 */
export function messagesPostedIn(update: Uint8Array): string[] {
  return itemsIn(update).flatMap((item) => postedId(item) ?? []);
}

/**
 * Ids of the messages an update writes: those it first posts, and those it
 * rewrites (an edit or a delete). A rewrite names no key once encoded, but
 * its content is the whole record, id included; a value shaped as a chat
 * message is taken as one (an update is this device's own, read back from
 * its outbox). An update that does not decode writes nothing.
 */
export function messagesWrittenIn(update: Uint8Array): string[] {
  const out = new Set<string>();
  for (const item of itemsIn(update)) {
    const posted = postedId(item);
    if (posted !== undefined) out.add(posted);
    if (!(item.content instanceof Y.ContentAny)) continue;
    for (const value of item.content.arr) {
      const m = readRecord<ChatMessage>(value, SHAPE);
      if (m) out.add(m.id);
    }
  }
  return [...out];
}

/** A new message as it will be written: numbered after this device's last, text cut to size. */
export function draftPost(doc: Y.Doc, m: NewMessage): ChatMessage {
  return { ...m, text: clampText(m.text), n: nextNumber(doc, m.device) };
}

/** `author`'s live message without its signature (about to be rewritten), or undefined. */
function ownLive(doc: Y.Doc, id: string, author: string): ChatMessage | undefined {
  const m = readRecord<ChatMessage>(messagesMap(doc).get(id), SHAPE);
  if (!m || m.author !== author || m.deleted) return undefined;
  const { sig: _, ...rest } = m;
  return rest;
}

/** `author`'s message with new text, unsigned; undefined when it is not theirs or gone. */
export function draftEdit(
  doc: Y.Doc,
  id: string,
  author: string,
  text: string,
  at: number,
): ChatMessage | undefined {
  const m = ownLive(doc, id, author);
  return m && { ...m, text: clampText(text), editedAt: at };
}

/** The tombstone of `author`'s message (its number stays, its text goes), unsigned. */
export function draftDelete(
  doc: Y.Doc,
  id: string,
  author: string,
  at: number,
): ChatMessage | undefined {
  const m = ownLive(doc, id, author);
  return m && { ...m, text: "", mentions: [], deleted: true, editedAt: at };
}

/** Writes a drafted (and signed) message (call inside `Space.edit`). */
export function putMessage(doc: Y.Doc, m: ChatMessage): void {
  messagesMap(doc).set(m.id, { ...m });
}

/** Writes a new message, unsigned (tests and tools that sign nothing). */
export function postMessage(doc: Y.Doc, m: NewMessage): ChatMessage {
  const message = draftPost(doc, m);
  putMessage(doc, message);
  return message;
}

/** Rewrites the text of `author`'s own message, unsigned; false when it is not theirs or gone. */
export function editMessage(doc: Y.Doc, id: string, author: string, text: string, at: number) {
  const m = draftEdit(doc, id, author, text, at);
  if (m) putMessage(doc, m);
  return m !== undefined;
}

/** Leaves an unsigned tombstone of `author`'s own message; false when it is not theirs or gone. */
export function deleteMessage(doc: Y.Doc, id: string, author: string, at: number) {
  const m = draftDelete(doc, id, author, at);
  if (m) putMessage(doc, m);
  return m !== undefined;
}

/**
 * Per author device, the highest n such that the doc holds all of 1..n:
 * what a reader of this doc has received, as a receipt states it.
 */
export function contiguousCounts(doc: Y.Doc): Record<string, number> {
  const seen = new Map<string, Set<number>>();
  for (const value of messagesMap(doc).values()) {
    const m = readRecord<ChatMessage>(value, SHAPE);
    if (!m) continue;
    let set = seen.get(m.device);
    if (!set) {
      set = new Set();
      seen.set(m.device, set);
    }
    set.add(m.n);
  }
  const out: Record<string, number> = {};
  for (const [device, ns] of seen) {
    let n = 0;
    while (ns.has(n + 1)) n++;
    if (n > 0) out[device] = n;
  }
  return out;
}

/** A receipt: per author device, the highest n up to which its reader holds every message. */
export interface Receipt extends Signed {
  by: string;
  counts: Record<string, number>;
  at: number;
}

const RECEIPT = { by: "user", at: "number", ...SIGNED_SHAPE } as const;

/** The counts of `reader`'s receipt when one of their devices signed it; empty otherwise. */
/** Every user who ever wrote a receipt in the space, members who left included. */
export function receiptReaders(doc: Y.Doc): string[] {
  return [...doc.getMap<unknown>(RECEIPTS).keys()];
}

export function receiptOf(doc: Y.Doc, reader: string, trust: RecordTrust): Record<string, number> {
  const out: Record<string, number> = {};
  const r = readRecord<Receipt>(doc.getMap<unknown>(RECEIPTS).get(reader), RECEIPT);
  const counts: unknown = r?.counts;
  if (!r || r.by !== reader || typeof counts !== "object" || counts === null) return out;
  if (Array.isArray(counts) || !trust.holds("chat-receipt", "", r, reader)) return out;
  for (const [device, n] of Object.entries(counts as Record<string, unknown>)) {
    if (DEVICE.test(device) && typeof n === "number" && Number.isSafeInteger(n) && n > 0) {
      out[device] = n;
    }
  }
  return out;
}

/** Whether `reader`'s receipt is behind what its doc holds (so a new receipt is due). */
export function receiptDue(doc: Y.Doc, reader: string, trust: RecordTrust): boolean {
  const have = contiguousCounts(doc);
  const said = receiptOf(doc, reader, trust);
  return Object.entries(have).some(([device, n]) => (said[device] ?? 0) < n);
}

/**
 * `reader`'s next receipt, to be signed by `device`: what the doc holds,
 * never less than the reader's last signed receipt (another of their devices
 * may hold more).
 */
export function draftReceipt(
  doc: Y.Doc,
  reader: string,
  device: string,
  at: number,
  trust: RecordTrust,
): Receipt {
  const counts = { ...receiptOf(doc, reader, trust) };
  for (const [d, n] of Object.entries(contiguousCounts(doc))) {
    if ((counts[d] ?? 0) < n) counts[d] = n;
  }
  return { by: reader, counts, at, device };
}

/** Writes a signed receipt (call inside an edit). */
export function putReceipt(doc: Y.Doc, receipt: Receipt): void {
  doc.getMap<unknown>(RECEIPTS).set(receipt.by, { ...receipt, counts: { ...receipt.counts } });
}

/** Which of `readers` hold `message`, by their signed receipts. */
export function deliveredTo(
  doc: Y.Doc,
  message: ChatMessage,
  readers: string[],
  trust: RecordTrust,
): string[] {
  return readers.filter((r) => (receiptOf(doc, r, trust)[message.device] ?? 0) >= message.n);
}

/** Display names mentioned as `@Name` in `text`, matched against `members` (longest first). */
export function findMentions(text: string, members: { user: string; name: string }[]): string[] {
  const lower = text.toLowerCase();
  const found = new Set<string>();
  const sorted = [...members].sort((a, b) => b.name.length - a.name.length);
  for (const { user, name } of sorted) {
    if (name.length === 0) continue;
    const token = `@${name.toLowerCase()}`;
    let at = lower.indexOf(token);
    while (at !== -1) {
      const after = lower[at + token.length];
      if (after === undefined || !/[\p{L}\p{N}_]/u.test(after)) {
        found.add(user);
        break;
      }
      at = lower.indexOf(token, at + 1);
    }
  }
  return [...found];
}

/** What waits for one reader: messages by others its signed receipt does not cover. */
export interface Backlog {
  /** How many messages by others the reader's receipt does not cover. */
  waiting: number;
  /** The author's time of the oldest of them. */
  waitingSince?: number;
  /** When the reader's last signed receipt was written (by its device's clock). */
  lastReceipt?: number;
}

/**
 * How far behind `reader` is, from the signed receipts every member sees
 * (never from the relay): `list` is the chat as this device holds it, its
 * records already checked.
 */
export function backlogOf(
  doc: Y.Doc,
  list: readonly ChatMessage[],
  reader: string,
  trust: RecordTrust,
): Backlog {
  const said = receiptOf(doc, reader, trust);
  let waiting = 0;
  let waitingSince: number | undefined;
  for (const m of list) {
    if (m.author === reader || (said[m.device] ?? 0) >= m.n) continue;
    waiting++;
    if (waitingSince === undefined || m.at < waitingSince) waitingSince = m.at;
  }
  const r = readRecord<Receipt>(doc.getMap<unknown>(RECEIPTS).get(reader), RECEIPT);
  const lastReceipt = r && Object.keys(said).length > 0 ? r.at : undefined;
  return {
    waiting,
    ...(waitingSince !== undefined && { waitingSince }),
    ...(lastReceipt !== undefined && { lastReceipt }),
  };
}
