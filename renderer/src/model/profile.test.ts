import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { toHex } from "../../../core/crypto/bytes.js";
import { ed25519 } from "../../../core/crypto/ed25519.js";
import {
  certifyDevice,
  generateDeviceKeys,
  generateUserKeys,
} from "../../../core/crypto/identity.js";
import { EncryptedStore } from "../../../core/store/encrypted-store.js";
import { FileStore } from "../../../core/store/node-file-store.js";
import {
  defaultRelayUrl,
  loadProfile,
  type Profile,
  ProfileError,
  saveProfile,
} from "./profile.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function store() {
  const dir = mkdtempSync(join(tmpdir(), "grove-profile-"));
  dirs.push(dir);
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ]);
  return new EncryptedStore(await FileStore.open(dir), key);
}

async function profile(withUser: boolean): Promise<Profile> {
  const user = generateUserKeys();
  const device = generateDeviceKeys();
  const cert = await certifyDevice(
    await ed25519(),
    user,
    device,
    "Ann's laptop",
    1_700_000_000_000,
  );
  return {
    name: "Ann",
    email: "ann@example.com",
    deviceName: "Ann's laptop",
    relayUrl: "ws://127.0.0.1:7447",
    ...(withUser && { user }),
    device,
    cert,
    accountSpace: "ab".repeat(16),
    spaces: ["cd".repeat(16)],
  };
}

describe("profile", () => {
  it("keeps the identity sealed under a non-extractable storage key and reads it back whole", async () => {
    for (const withUser of [true, false]) {
      const s = await store();
      const p = await profile(withUser);
      await saveProfile(s, p);
      const back = await loadProfile(s);
      if (!back) throw new Error("the profile just saved is not there");
      expect(toHex(back.device.sign.secretKey)).toBe(toHex(p.device.sign.secretKey));
      expect(toHex(back.device.box.secretKey)).toBe(toHex(p.device.box.secretKey));
      expect(back.user && toHex(back.user.sign.secretKey)).toBe(
        p.user && toHex(p.user.sign.secretKey),
      );
      expect(back.cert).toEqual(p.cert);
      expect({ ...back, device: 0, user: 0, cert: 0 }).toEqual({
        ...p,
        device: 0,
        user: 0,
        cert: 0,
      });
    }
  });

  it("has none on a fresh device", async () => {
    expect(await loadProfile(await store())).toBeUndefined();
  });

  it("refuses a record of the wrong shape with PROFILE_CORRUPT", async () => {
    const s = await store();
    for (const bad of ["not json", JSON.stringify({ v: 2 }), JSON.stringify({ v: 1, name: 3 })]) {
      await s.put("profile", new TextEncoder().encode(bad));
      await expect(loadProfile(s)).rejects.toBeInstanceOf(ProfileError);
    }
  });

  it("takes the relay from the page's own origin", () => {
    expect(defaultRelayUrl({ protocol: "http:", host: "127.0.0.1:7447" })).toBe(
      "ws://127.0.0.1:7447",
    );
    expect(defaultRelayUrl({ protocol: "https:", host: "relay.example" })).toBe(
      "wss://relay.example",
    );
    expect(defaultRelayUrl({ protocol: "app:", host: "grove" })).toBe("");
  });
});
