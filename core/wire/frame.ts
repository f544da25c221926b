/**
 * Encode and decode relay frames. `decodeFrame` is the only entry point for
 * bytes from the network: it checks the frame size, the protocol version and
 * the type, then hands the rest to the family's reader, and throws only
 * DecodeError.
 */
import * as encoding from "lib0/encoding";
import {
  readBlobData,
  readBlobGet,
  readBlobPut,
  readBlobPutOk,
  writeBlobHash,
  writeBlobPut,
} from "./blob-frames.js";
import { HASH_BYTES } from "./envelope.js";
import { DecodeError } from "./errors.js";
import { readMailInvite, writeMailInvite } from "./frame-mail-invite.js";
import { readPartialAck, writePartialAck } from "./frame-partial-ack.js";
import {
  type Frame,
  FrameType,
  MSG_ID_BYTES,
  PROTOCOL_VERSION,
  SUPPORTED_VERSIONS,
} from "./frame-types.js";
import { DEFAULT_LIMITS, type WireLimits } from "./limits.js";
import { readMailSend, writeMailSend } from "./mail-frames.js";
import {
  readAcceptBatches,
  readAck,
  readDeliver,
  readDeliverAck,
  readDeliverBatch,
  readResend,
  readSend,
  readTargetSet,
  writeAcceptBatches,
  writeAck,
  writeDeliver,
  writeDeliverAck,
  writeDeliverBatch,
  writeResend,
  writeSend,
  writeTargetSet,
} from "./mailbox-frames.js";
import { decodeStrict, encodeWith, type Reader } from "./reader.js";
import {
  readAuth,
  readAuthOk,
  readChallenge,
  readError,
  readHello,
  readRelayInfo,
  writeAuth,
  writeAuthOk,
  writeChallenge,
  writeError,
  writeHello,
  writeRelayInfo,
} from "./session-frames.js";

export function encodeFrame(frame: Frame, version: number = PROTOCOL_VERSION): Uint8Array {
  return encodeWith((e) => {
    encoding.writeUint8(e, version);
    encoding.writeUint8(e, FrameType[frame.type]);
    writeBody(e, frame);
  });
}

/**
 * What a refusal of these undecoded bytes should name, so the sender can
 * tell which request it concerns: a mail request's msgId, a blob frame's
 * hash; empty for anything else or too short to hold one. Read at fixed
 * places only (version, type, then the id), before any other check.
 */
export function refOfUndecoded(bytes: Uint8Array): Uint8Array {
  const type = bytes[1];
  const length =
    type === FrameType.mailSend || type === FrameType.mailInvite
      ? MSG_ID_BYTES
      : type === FrameType.blobPut || type === FrameType.blobGet
        ? HASH_BYTES
        : 0;
  return length > 0 && bytes.length >= 2 + length ? bytes.slice(2, 2 + length) : new Uint8Array();
}

export function decodeFrame(bytes: Uint8Array, limits: WireLimits = DEFAULT_LIMITS): Frame {
  if (bytes.length > limits.maxFrameBytes) {
    throw new DecodeError("TOO_LARGE", `frame of ${bytes.length} bytes exceeds limit`);
  }
  return decodeStrict(bytes, (r) => {
    const version = r.u8("version");
    if (!SUPPORTED_VERSIONS.includes(version)) {
      throw new DecodeError("UNSUPPORTED_VERSION", `protocol version ${version} is not supported`);
    }
    return readBody(r, r.u8("type"), limits);
  });
}

/** The protocol version of a frame, read before decoding so a peer can answer in kind. */
export function peekVersion(bytes: Uint8Array): number | undefined {
  return bytes.length > 0 ? bytes[0] : undefined;
}

type Writers = {
  [K in Frame["type"]]: (e: encoding.Encoder, frame: Extract<Frame, { type: K }>) => void;
};
const WRITERS: Writers = {
  hello: writeHello,
  challenge: writeChallenge,
  auth: writeAuth,
  authOk: writeAuthOk,
  relayInfo: writeRelayInfo,
  error: writeError,
  send: writeSend,
  ack: writeAck,
  deliver: writeDeliver,
  deliverBatch: writeDeliverBatch,
  acceptBatches: writeAcceptBatches,
  deliverAck: writeDeliverAck,
  resend: writeResend,
  blobPut: writeBlobPut,
  blobPutOk: writeBlobHash,
  blobGet: writeBlobHash,
  blobData: writeBlobPut,
  mailSend: writeMailSend,
  partialAck: writePartialAck,
  targetSet: writeTargetSet,
  mailInvite: writeMailInvite,
};

function writeBody(e: encoding.Encoder, frame: Frame): void {
  (WRITERS[frame.type] as (e: encoding.Encoder, frame: Frame) => void)(e, frame);
}

const READERS = new Map<number, (r: Reader, limits: WireLimits) => Frame>([
  [FrameType.hello, readHello],
  [FrameType.challenge, readChallenge],
  [FrameType.auth, readAuth],
  [FrameType.authOk, readAuthOk],
  [FrameType.relayInfo, readRelayInfo],
  [FrameType.error, readError],
  [FrameType.send, readSend],
  [FrameType.ack, readAck],
  [FrameType.deliver, readDeliver],
  [FrameType.deliverBatch, readDeliverBatch],
  [FrameType.acceptBatches, readAcceptBatches],
  [FrameType.deliverAck, readDeliverAck],
  [FrameType.resend, readResend],
  [FrameType.blobPut, readBlobPut],
  [FrameType.blobPutOk, readBlobPutOk],
  [FrameType.blobGet, readBlobGet],
  [FrameType.blobData, readBlobData],
  [FrameType.mailSend, readMailSend],
  [FrameType.partialAck, readPartialAck],
  [FrameType.targetSet, readTargetSet],
  [FrameType.mailInvite, readMailInvite],
]);

function readBody(r: Reader, type: number, limits: WireLimits): Frame {
  const read = READERS.get(type);
  if (!read) throw new DecodeError("UNKNOWN_TYPE", `unknown frame type ${type}`);
  return read(r, limits);
}
