/**
 * Who signs what. A device holds an Ed25519 key pair (signs envelopes) and
 * an X25519 key pair (receives sealed epoch keys). A user holds one Ed25519
 * key pair that certifies the user's devices; members of a space are users,
 * acting through certified devices.
 */
import nacl from "tweetnacl";
import { concatBytes, utf8 } from "./bytes.js";
import type { Ed25519Backend } from "./ed25519.js";
import { CryptoError } from "./errors.js";
import { boxImpl, signKeyPairFromSeed } from "./secretbox.js";

export interface SigningKeyPair {
  publicKey: Uint8Array;
  /** tweetnacl's 64-byte form: seed || public key. */
  secretKey: Uint8Array;
}
export interface BoxKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface DeviceKeys {
  sign: SigningKeyPair;
  box: BoxKeyPair;
}
export interface UserKeys {
  sign: SigningKeyPair;
}

/** The user's signature over a device's keys, its name and its creation time. */
export interface DeviceCertificate {
  user: Uint8Array;
  deviceSign: Uint8Array;
  deviceBox: Uint8Array;
  name: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  signature: Uint8Array;
}

export const MAX_DEVICE_NAME_BYTES = 128;

export function generateDeviceKeys(): DeviceKeys {
  return { sign: nacl.sign.keyPair(), box: nacl.box.keyPair() };
}

export function generateUserKeys(): UserKeys {
  return { sign: nacl.sign.keyPair() };
}

/** Deterministic keys from seeds: for restoring from a backup and for test vectors. */
export function deviceKeysFromSeeds(signSeed: Uint8Array, boxSecret: Uint8Array): DeviceKeys {
  return {
    sign: signKeyPairFromSeed(signSeed),
    box: { publicKey: boxImpl().publicKeyOf(boxSecret), secretKey: boxSecret.slice() },
  };
}
export function userKeysFromSeed(seed: Uint8Array): UserKeys {
  return { sign: signKeyPairFromSeed(seed) };
}

const CERT_CONTEXT = utf8("grove/device-cert/v1");

/** The exact bytes a user signs to certify a device. */
export function certificateMessage(cert: Omit<DeviceCertificate, "signature">): Uint8Array {
  const name = utf8(cert.name);
  if (name.length > MAX_DEVICE_NAME_BYTES) throw new RangeError("device name too long");
  if (!Number.isSafeInteger(cert.createdAt) || cert.createdAt < 0) {
    throw new RangeError("createdAt must be a non-negative integer");
  }
  const time = new Uint8Array(8);
  new DataView(time.buffer).setBigUint64(0, BigInt(cert.createdAt));
  const nameLength = Uint8Array.of(name.length);
  return concatBytes(
    CERT_CONTEXT,
    cert.user,
    cert.deviceSign,
    cert.deviceBox,
    time,
    nameLength,
    name,
  );
}

export async function certifyDevice(
  backend: Ed25519Backend,
  user: UserKeys,
  device: { sign: { publicKey: Uint8Array }; box: { publicKey: Uint8Array } },
  name: string,
  createdAt: number,
): Promise<DeviceCertificate> {
  const body = {
    user: user.sign.publicKey,
    deviceSign: device.sign.publicKey,
    deviceBox: device.box.publicKey,
    name,
    createdAt,
  };
  const signature = await backend.sign(user.sign.secretKey, certificateMessage(body));
  return { ...body, signature };
}

/** Throws BAD_CERTIFICATE unless the user's signature over the device holds. */
export async function verifyCertificate(
  backend: Ed25519Backend,
  cert: DeviceCertificate,
): Promise<void> {
  let ok = false;
  try {
    ok = await backend.verify(cert.user, certificateMessage(cert), cert.signature);
  } catch (err) {
    throw new CryptoError("BAD_CERTIFICATE", "device certificate is malformed", { cause: err });
  }
  if (!ok) throw new CryptoError("BAD_CERTIFICATE", "device certificate signature is invalid");
}
