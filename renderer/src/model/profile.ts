/**
 * This device's profile: its names, relay and keys, one record in the
 * encrypted local store (sealed with the storage key of dom-storage-key.ts).
 */
import { fromHex, toHex } from "../../../core/crypto/bytes.js";
import {
  type DeviceCertificate,
  type DeviceKeys,
  deviceKeysFromSeeds,
  type UserKeys,
  userKeysFromSeed,
} from "../../../core/crypto/identity.js";
import { decodeCertificate, encodeCertificate } from "../../../core/crypto/identity-codec.js";
import { loadSecretbox } from "../../../core/crypto/secretbox.js";
import type { Store } from "../../../core/store/store.js";

const PROFILE_RECORD = "profile";

export interface Profile {
  name: string;
  email: string;
  deviceName: string;
  /** ws(s) URL of the relay this device uses. */
  relayUrl: string;
  /** Present on the device that holds the user key (it may link new devices). */
  user?: UserKeys;
  device: DeviceKeys;
  cert: DeviceCertificate;
  /** The user's private account space (hex). */
  accountSpace: string;
  /** Spaces this device is in or waiting to be let into (hex), whatever the account says. */
  spaces: string[];
}

export class ProfileError extends Error {
  override readonly name = "ProfileError";
  constructor(
    readonly code: "PROFILE_CORRUPT",
    message: string,
  ) {
    super(message);
  }
}

interface StoredProfile {
  v: 1;
  name: string;
  email: string;
  deviceName: string;
  relayUrl: string;
  userSeed?: string;
  signSeed: string;
  boxSecret: string;
  cert: string;
  accountSpace: string;
  spaces: string[];
}

const HEX = /^[0-9a-f]*$/;

export async function loadProfile(store: Store): Promise<Profile | undefined> {
  const bytes = await store.get(PROFILE_RECORD);
  if (!bytes) return undefined;
  let raw: StoredProfile;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes)) as StoredProfile;
  } catch {
    throw new ProfileError("PROFILE_CORRUPT", "this device's profile record is not readable");
  }
  const strings = [raw.name, raw.email, raw.deviceName, raw.relayUrl];
  const hexes = [raw.signSeed, raw.boxSecret, raw.cert, raw.accountSpace, raw.userSeed ?? ""];
  if (
    raw.v !== 1 ||
    !strings.every((s) => typeof s === "string") ||
    !hexes.every((h) => typeof h === "string" && HEX.test(h)) ||
    !Array.isArray(raw.spaces) ||
    !raw.spaces.every((s) => typeof s === "string" && /^[0-9a-f]{32}$/.test(s))
  ) {
    throw new ProfileError("PROFILE_CORRUPT", "this device's profile record has a wrong shape");
  }
  // The key pairs come from libsodium once it is loaded (the client starts loading it first
  // thing; every space needs it): tweetnacl took 10-25 ms of a launch deriving them.
  await loadSecretbox();
  return {
    name: raw.name,
    email: raw.email,
    deviceName: raw.deviceName,
    relayUrl: raw.relayUrl,
    ...(raw.userSeed && { user: userKeysFromSeed(fromHex(raw.userSeed)) }),
    device: deviceKeysFromSeeds(fromHex(raw.signSeed), fromHex(raw.boxSecret)),
    cert: decodeCertificate(fromHex(raw.cert)),
    accountSpace: raw.accountSpace,
    spaces: raw.spaces,
  };
}

export async function saveProfile(store: Store, p: Profile): Promise<void> {
  const raw: StoredProfile = {
    v: 1,
    name: p.name,
    email: p.email,
    deviceName: p.deviceName,
    relayUrl: p.relayUrl,
    ...(p.user && { userSeed: toHex(p.user.sign.secretKey.subarray(0, 32)) }),
    signSeed: toHex(p.device.sign.secretKey.subarray(0, 32)),
    boxSecret: toHex(p.device.box.secretKey),
    cert: toHex(encodeCertificate(p.cert)),
    accountSpace: p.accountSpace,
    spaces: p.spaces,
  };
  await store.put(PROFILE_RECORD, new TextEncoder().encode(JSON.stringify(raw)));
}

/**
 * The relay this page came from, where a relay serves the app (as `npm start`
 * does); none for the packaged desktop app (app://), whose user names one.
 */
export function defaultRelayUrl(location: { protocol: string; host: string }): string {
  if (location.protocol !== "http:" && location.protocol !== "https:") return "";
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}`;
}
