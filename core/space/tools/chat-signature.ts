/**
 * The bytes a chat message's author device signs, in the layout chat
 * messages were first signed with (decision 50). Every other record kind is
 * encoded generically (signed-records.ts); chat keeps this one so messages
 * signed before that module existed still verify.
 */
import * as encoding from "lib0/encoding";
import { utf8 } from "../../crypto/bytes.js";
import type { ChatMessage } from "./chat.js";

/** Prefixed to what is signed, so a chat record's signature passes for no other record. */
const DOMAIN = utf8("grove/chat-message/v1\0");

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
