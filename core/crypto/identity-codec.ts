/**
 * The byte format of a device certificate, as membership ops, welcomes,
 * device links and the profile carry it:
 *
 *   certificate       u8 1 || u8 0x02 || cert fields
 *
 * Tags 0x01 (a "public identity": user key, display name, certificates) and
 * 0x03/0x04 (a sealed key bundle) were specified and never used; they are
 * reserved (decision 88). A user's name travels in membership ops, signed;
 * private keys rest in the profile record of the encrypted store.
 */
import * as encoding from "lib0/encoding";
import { DecodeError } from "../wire/errors.js";
import { decodeStrict, encodeWith, type Reader, writeFixed, writeString } from "../wire/reader.js";
import { type DeviceCertificate, MAX_DEVICE_NAME_BYTES } from "./identity.js";

export const IDENTITY_FORMAT_VERSION = 1;
const TAG_CERTIFICATE = 0x02;
/** Identity-format tags set aside: 0x01 public identity, 0x03 and 0x04 key bundle. */
export const RESERVED_IDENTITY_TAGS: readonly number[] = [0x01, 0x03, 0x04];

function writeTag(e: encoding.Encoder, tag: number): void {
  encoding.writeUint8(e, IDENTITY_FORMAT_VERSION);
  encoding.writeUint8(e, tag);
}
function readTag(r: Reader, tag: number): void {
  const version = r.u8("version");
  if (version !== IDENTITY_FORMAT_VERSION) {
    throw new DecodeError("UNSUPPORTED_VERSION", `identity format ${version} is not supported`);
  }
  const found = r.u8("tag");
  if (found !== tag) throw new DecodeError("UNKNOWN_TYPE", `expected tag ${tag}, found ${found}`);
}

function writeCertFields(e: encoding.Encoder, c: DeviceCertificate): void {
  writeFixed(e, c.user, 32, "user");
  writeFixed(e, c.deviceSign, 32, "deviceSign");
  writeFixed(e, c.deviceBox, 32, "deviceBox");
  writeString(e, c.name);
  encoding.writeVarUint(e, c.createdAt);
  writeFixed(e, c.signature, 64, "signature");
}
function readCertFields(r: Reader): DeviceCertificate {
  return {
    user: r.fixed(32, "user"),
    deviceSign: r.fixed(32, "deviceSign"),
    deviceBox: r.fixed(32, "deviceBox"),
    name: r.string("name", MAX_DEVICE_NAME_BYTES),
    createdAt: r.varUint("createdAt"),
    signature: r.fixed(64, "signature"),
  };
}

export function encodeCertificate(cert: DeviceCertificate): Uint8Array {
  return encodeWith((e) => {
    writeTag(e, TAG_CERTIFICATE);
    writeCertFields(e, cert);
  });
}
export function decodeCertificate(bytes: Uint8Array): DeviceCertificate {
  return decodeStrict(bytes, (r) => {
    readTag(r, TAG_CERTIFICATE);
    return readCertFields(r);
  });
}
