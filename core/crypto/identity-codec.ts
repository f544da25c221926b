/**
 * Versioned byte formats for identities:
 *
 *   public identity   u8 1 || u8 0x01 || user key 32 || name || n || n x certificate
 *   certificate       u8 1 || u8 0x02 || cert fields
 *   key bundle        u8 1 || u8 0x03 || nonce 24 || secretbox(private keys, storage key)
 *
 * A key bundle is how private keys rest on disk: sealed with the storage key
 * that the OS keychain (or a non-extractable WebCrypto key) holds.
 */
import * as encoding from "lib0/encoding";
import nacl from "tweetnacl";
import { DecodeError } from "../wire/errors.js";
import { decodeStrict, encodeWith, type Reader, writeFixed, writeString } from "../wire/reader.js";
import { CryptoError } from "./errors.js";
import {
  type DeviceCertificate,
  type DeviceKeys,
  deviceKeysFromSeeds,
  MAX_DEVICE_NAME_BYTES,
  type UserKeys,
  userKeysFromSeed,
} from "./identity.js";
import { randomBytes } from "./random.js";

export const IDENTITY_FORMAT_VERSION = 1;
const TAG_PUBLIC_IDENTITY = 0x01;
const TAG_CERTIFICATE = 0x02;
const TAG_KEY_BUNDLE = 0x03;
const TAG_KEY_BUNDLE_PLAINTEXT = 0x04;
const MAX_DISPLAY_NAME_BYTES = 256;
const MAX_DEVICES = 64;

export interface PublicIdentity {
  userKey: Uint8Array;
  displayName: string;
  devices: DeviceCertificate[];
}

export interface PrivateKeyBundle {
  /** Present on devices that may certify new devices of the user. */
  user?: UserKeys;
  device: DeviceKeys;
  certificate: DeviceCertificate;
}

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

export function encodePublicIdentity(identity: PublicIdentity): Uint8Array {
  return encodeWith((e) => {
    writeTag(e, TAG_PUBLIC_IDENTITY);
    writeFixed(e, identity.userKey, 32, "userKey");
    writeString(e, identity.displayName);
    encoding.writeVarUint(e, identity.devices.length);
    for (const cert of identity.devices) writeCertFields(e, cert);
  });
}
export function decodePublicIdentity(bytes: Uint8Array): PublicIdentity {
  return decodeStrict(bytes, (r) => {
    readTag(r, TAG_PUBLIC_IDENTITY);
    const userKey = r.fixed(32, "userKey");
    const displayName = r.string("displayName", MAX_DISPLAY_NAME_BYTES);
    const count = r.varUint("devices", MAX_DEVICES);
    const devices: DeviceCertificate[] = [];
    for (let i = 0; i < count; i++) devices.push(readCertFields(r));
    return { userKey, displayName, devices };
  });
}

function encodeBundlePlaintext(bundle: PrivateKeyBundle): Uint8Array {
  return encodeWith((e) => {
    writeTag(e, TAG_KEY_BUNDLE_PLAINTEXT);
    encoding.writeUint8(e, bundle.user ? 1 : 0);
    if (bundle.user) writeFixed(e, bundle.user.sign.secretKey.subarray(0, 32), 32, "userSeed");
    writeFixed(e, bundle.device.sign.secretKey.subarray(0, 32), 32, "deviceSignSeed");
    writeFixed(e, bundle.device.box.secretKey, 32, "deviceBoxSecret");
    writeCertFields(e, bundle.certificate);
  });
}
function decodeBundlePlaintext(bytes: Uint8Array): PrivateKeyBundle {
  return decodeStrict(bytes, (r) => {
    readTag(r, TAG_KEY_BUNDLE_PLAINTEXT);
    const hasUser = r.u8("hasUser");
    if (hasUser > 1) throw new DecodeError("INVALID_VALUE", "hasUser must be 0 or 1");
    const user = hasUser ? userKeysFromSeed(r.fixed(32, "userSeed")) : undefined;
    const device = deviceKeysFromSeeds(r.fixed(32, "deviceSignSeed"), r.fixed(32, "boxSecret"));
    const certificate = readCertFields(r);
    return user ? { user, device, certificate } : { device, certificate };
  });
}

/** Seals private keys under the storage key, with a fresh random nonce. */
export function sealKeyBundle(bundle: PrivateKeyBundle, storageKey: Uint8Array): Uint8Array {
  return sealKeyBundleWithNonce(bundle, storageKey, randomBytes(nacl.secretbox.nonceLength));
}

/** The deterministic core of sealKeyBundle, exposed for known-answer vectors. */
export function sealKeyBundleWithNonce(
  bundle: PrivateKeyBundle,
  storageKey: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  const box = nacl.secretbox(encodeBundlePlaintext(bundle), nonce, storageKey);
  return encodeWith((e) => {
    writeTag(e, TAG_KEY_BUNDLE);
    writeFixed(e, nonce, nacl.secretbox.nonceLength, "nonce");
    encoding.writeVarUint8Array(e, box);
  });
}

/**
 * Opens a sealed key bundle. Throws DecodeError for damaged bytes and
 * CryptoError WRONG_STORAGE_KEY when the key does not open it.
 */
export function openKeyBundle(bytes: Uint8Array, storageKey: Uint8Array): PrivateKeyBundle {
  const { nonce, box } = decodeStrict(bytes, (r) => {
    readTag(r, TAG_KEY_BUNDLE);
    return { nonce: r.fixed(nacl.secretbox.nonceLength, "nonce"), box: r.varBytes("box", 4096) };
  });
  const plain = nacl.secretbox.open(box, nonce, storageKey);
  if (!plain)
    throw new CryptoError("WRONG_STORAGE_KEY", "the storage key does not open this key bundle");
  return decodeBundlePlaintext(plain);
}
