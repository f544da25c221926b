/**
 * Who really wrote a chat message. Envelopes are signed by the device that
 * sent them, but a Yjs record inside does not say which envelope brought it
 * (a snapshot answer from any member carries everyone's records), so a
 * hostile member could write a record naming someone else as its author.
 * Each record therefore carries its own signature: the author device signs
 * the record's fields, and a reader checks it against that device's key and
 * that the device belongs to the named author. An edit or a delete is a new
 * record, signed again by its author.
 *
 * Checks are asynchronous (WebCrypto) and remembered per record object
 * (Yjs hands back the same object until the entry is rewritten), so a view
 * asks `verdict` on every render and hears `onSettled` when answers arrive.
 */
import * as encoding from "lib0/encoding";
import { fromHex, utf8 } from "../../crypto/bytes.js";
import type { ChatMessage } from "./chat.js";

/** Prefixed to what is signed, so a chat record's signature passes for no other record. */
const DOMAIN = utf8("grove/chat-message/v1\0");

export type Authenticity = "verified" | "forged" | "unsigned";

/** The bytes an author device signs for a message record (everything but the signature). */
export function messageSigningBytes(spaceId: Uint8Array, m: ChatMessage): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeUint8Array(e, DOMAIN);
  encoding.writeVarUint8Array(e, spaceId);
  encoding.writeVarString(e, m.id);
  encoding.writeVarString(e, m.author);
  encoding.writeVarString(e, m.device);
  encoding.writeVarUint(e, m.n);
  encoding.writeFloat64(e, m.at);
  encoding.writeVarString(e, m.name);
  encoding.writeVarString(e, m.text);
  encoding.writeVarUint(e, m.mentions.length);
  for (const user of [...m.mentions].sort()) encoding.writeVarString(e, user);
  encoding.writeFloat64(e, m.editedAt ?? -1);
  encoding.writeUint8(e, m.deleted ? 1 : 0);
  return encoding.toUint8Array(e);
}

/** The record with its author device's signature (`sign` is the device's, bound to its key). */
export async function signMessage(
  spaceId: Uint8Array,
  m: ChatMessage,
  sign: (bytes: Uint8Array) => Promise<Uint8Array>,
): Promise<ChatMessage> {
  const { sig: _, ...fields } = m;
  return { ...fields, sig: await sign(messageSigningBytes(spaceId, fields)) };
}

export interface VerifierOptions {
  spaceId: Uint8Array;
  /** The user (hex) a device (hex) belongs to in this space, or undefined. */
  userOfDevice(device: string): string | undefined;
  verify(device: Uint8Array, bytes: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** Some verdicts came in: views may want to render again. */
  onSettled(): void;
}

export class MessageVerifier {
  private readonly verdicts = new WeakMap<ChatMessage, Authenticity>();
  private readonly pending = new WeakSet<ChatMessage>();
  private queue: ChatMessage[] = [];
  /** Forged for now only because their device is not (yet) known here. */
  private readonly unknownDevice = new Set<ChatMessage>();

  constructor(private readonly options: VerifierOptions) {}

  /** The record's authenticity, or undefined while it is being checked (the check starts now). */
  verdict(m: ChatMessage): Authenticity | undefined {
    const known = this.verdicts.get(m);
    if (known) return known;
    if (!m.sig) {
      this.verdicts.set(m, "unsigned");
      return "unsigned";
    }
    if (!this.pending.has(m)) {
      this.pending.add(m);
      if (this.queue.push(m) === 1) queueMicrotask(() => void this.drain());
    }
    return undefined;
  }

  private async drain(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    await Promise.all(batch.map((m) => this.check(m)));
    this.options.onSettled();
  }

  /**
   * The space's membership changed: records whose device it did not know yet
   * (a device certified in an op still on its way) are checked again.
   */
  recheckUnknownDevices(): void {
    for (const m of this.unknownDevice) this.verdicts.delete(m);
    this.unknownDevice.clear();
  }

  private async check(m: ChatMessage): Promise<void> {
    let verdict: Authenticity = "forged";
    try {
      const user = this.options.userOfDevice(m.device);
      if (user === undefined) this.unknownDevice.add(m);
      // The device must be one of the named author's, and its signature must hold.
      if (user === m.author) {
        const bytes = messageSigningBytes(this.options.spaceId, m);
        if (await this.options.verify(fromHex(m.device), bytes, m.sig!)) {
          verdict = "verified";
        }
      }
    } catch {
      verdict = "forged";
    }
    this.verdicts.set(m, verdict);
    this.pending.delete(m);
  }
}
