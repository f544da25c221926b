/**
 * Relay protocol frame types and their decoded shapes. Every frame is
 *   u8 protocol version || u8 type || fields
 * See PROTOCOL.md for the field layouts.
 */
export const PROTOCOL_VERSION = 1;
export const SUPPORTED_VERSIONS: readonly number[] = [1];

export const FrameType = {
  hello: 0x01,
  challenge: 0x02,
  auth: 0x03,
  authOk: 0x04,
  error: 0x05,
  relayInfo: 0x06,
  send: 0x10,
  ack: 0x11,
  deliver: 0x12,
  deliverAck: 0x13,
  resend: 0x14,
  partialAck: 0x15,
  targetSet: 0x16,
  deliverBatch: 0x17,
  acceptBatches: 0x18,
  blobPut: 0x20,
  blobPutOk: 0x21,
  blobGet: 0x22,
  blobData: 0x23,
  mailSend: 0x30,
  mailInvite: 0x31,
} as const;
export type FrameTypeName = keyof typeof FrameType;

export const MSG_ID_BYTES = 16;
export const CHALLENGE_BYTES = 32;

/** SEND / DELIVER flag: forward to online targets only, never store. */
export const FLAG_EPHEMERAL = 0x01;
/**
 * SEND flag, on the wire only (revision 4): the targets are a TARGET_SET
 * defined earlier on this connection, named by its id instead of listed.
 * Decoded into `SendFrame.targetSet`; never stored or delivered.
 */
export const FLAG_TARGET_SET = 0x02;
/** How many target sets one connection's relay holds at once; older ones make room. */
export const MAX_TARGET_SETS = 64;
/**
 * Set ids are 32-bit and strictly increase on a connection: an id names one
 * list for the connection's life, so a SEND whose set's definition was lost
 * (refused, dropped by a limit) is refused instead of reaching an older list.
 */
export const MAX_TARGET_SET_ID = 0xffffffff;
/** How many targets all of one connection's sets may list together. */
export const MAX_TARGET_SET_ENTRIES = 1024;

export interface HelloFrame {
  type: "hello";
  /** Free text such as "grove/0.1.0", for logs and metrics. */
  client: string;
  minVersion: number;
  maxVersion: number;
}
export interface ChallengeFrame {
  type: "challenge";
  nonce: Uint8Array;
  relayUrl: string;
  maxEnvelopeBytes: number;
  maxTargets: number;
}
export interface AuthFrame {
  type: "auth";
  device: Uint8Array;
  signature: Uint8Array;
  /** Empty on open relays. */
  accessToken: string;
}
export interface AuthOkFrame {
  type: "authOk";
  /** Messages waiting in this device's mailbox. */
  queued: number;
}
/**
 * What this relay offers beyond the core protocol (revision 3), sent once
 * right after AUTH_OK, so the app offers only what will work.
 */
export interface RelayInfoFrame {
  type: "relayInfo";
  /** Bit set of RELAY_FEATURE_*; unknown bits are ignored. */
  features: number;
}
/** RELAY_INFO feature: the operator configured SMTP, so MAIL_INVITE can succeed. */
export const RELAY_FEATURE_MAIL = 0x01;
/** RELAY_INFO feature (revision 4): TARGET_SET frames and SENDs that name a set. */
export const RELAY_FEATURE_TARGET_SETS = 0x02;
/** RELAY_INFO feature (revision 5): the relay sends DELIVER_BATCH to a device that sent ACCEPT_BATCHES. */
export const RELAY_FEATURE_DELIVER_BATCH = 0x04;
/** Most messages one DELIVER_BATCH carries (a relay keeps at most this many unacked anyway). */
export const MAX_BATCH_DELIVERIES = 256;
export interface ErrorFrame {
  type: "error";
  code: number;
  message: string;
  /** The msgId (or blob hash) the error refers to; empty when it refers to the connection. */
  ref: Uint8Array;
}
export interface SendFrame {
  type: "send";
  msgId: Uint8Array;
  /** FLAG_EPHEMERAL or 0 (FLAG_TARGET_SET is the codec's, from `targetSet`). */
  flags: number;
  ttlSeconds: number;
  /** Empty when `targetSet` names them. */
  targets: Uint8Array[];
  /** The id of a TARGET_SET of this connection that lists the targets. */
  targetSet?: number | undefined;
  envelope: Uint8Array;
}
/**
 * Defines a list of targets that later SENDs on this connection may name by
 * `setId` (above every id the connection defined before): a sender fanning
 * out to the same members again and again uploads their keys once, not with
 * every delta.
 */
export interface TargetSetFrame {
  type: "targetSet";
  setId: number;
  targets: Uint8Array[];
}
export interface AckFrame {
  type: "ack";
  msgId: Uint8Array;
}
export interface DeliverFrame {
  type: "deliver";
  seq: number;
  msgId: Uint8Array;
  sender: Uint8Array;
  flags: number;
  envelope: Uint8Array;
}
/**
 * Stored messages of one mailbox, in seq order, in one frame (revision 5):
 * what the relay had ready for a device at once, so the device takes and
 * acks them together. Each is exactly what a DELIVER would carry; seq >= 1.
 */
export interface DeliverBatchFrame {
  type: "deliverBatch";
  deliveries: Omit<DeliverFrame, "type">[];
}
/** A device that takes DELIVER_BATCH says so once per connection, after RELAY_INFO offers it. */
export interface AcceptBatchesFrame {
  type: "acceptBatches";
}
export interface DeliverAckFrame {
  type: "deliverAck";
  seqs: number[];
}
export interface ResendFrame {
  type: "resend";
  /** Redeliver every unacked message from this mailbox seq on. */
  fromSeq: number;
}
export interface BlobPutFrame {
  type: "blobPut";
  hash: Uint8Array;
  data: Uint8Array;
}
export interface BlobPutOkFrame {
  type: "blobPutOk";
  hash: Uint8Array;
}
export interface BlobGetFrame {
  type: "blobGet";
  hash: Uint8Array;
}
export interface BlobDataFrame {
  type: "blobData";
  hash: Uint8Array;
  data: Uint8Array;
}

export interface MailSendFrame {
  type: "mailSend";
  /** Answered by ACK or ERROR with this msgId. */
  msgId: Uint8Array;
  /** One bare address, local@domain (see mail-frames.ts for the exact rules). */
  to: string;
  /** One line. */
  subject: string;
  /** Plain-text body. */
  text: string;
}

export interface PartialAckFrame {
  type: "partialAck";
  msgId: Uint8Array;
  /** Targets that got nothing, and why; every other target of the send has it queued. */
  full: { target: Uint8Array; reason: "messages" | "bytes" | "source_share" }[];
}

export interface MailInviteFrame {
  type: "mailInvite";
  /** Answered by ACK or ERROR with this msgId. */
  msgId: Uint8Array;
  /** One bare address, local@domain. */
  to: string;
  /** Who invites, as they call themselves; the relay sanitises it. */
  inviterName: string;
  /** The space's name, or empty to leave it out of the mail. */
  spaceName: string;
  /** The join link: this relay's https://…/join#<payload>. */
  link: string;
}

export type Frame =
  | HelloFrame
  | ChallengeFrame
  | AuthFrame
  | AuthOkFrame
  | RelayInfoFrame
  | ErrorFrame
  | SendFrame
  | AckFrame
  | DeliverFrame
  | DeliverBatchFrame
  | AcceptBatchesFrame
  | DeliverAckFrame
  | ResendFrame
  | BlobPutFrame
  | BlobPutOkFrame
  | BlobGetFrame
  | BlobDataFrame
  | MailSendFrame
  | PartialAckFrame
  | TargetSetFrame
  | MailInviteFrame;
