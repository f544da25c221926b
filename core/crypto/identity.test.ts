import { describe, expect, it } from "vitest";
import { alice, bob } from "../../test/fixtures.js";
import { naclEd25519 } from "./ed25519.js";
import {
  certifyDevice,
  generateDeviceKeys,
  generateUserKeys,
  verifyCertificate,
} from "./identity.js";
import { decodeCertificate, encodeCertificate } from "./identity-codec.js";
import { newEpochKey, openKeyBox, sealKeyBox } from "./key-box.js";
import { fingerprintGroups, safetyNumber } from "./safety-number.js";

describe("identities", () => {
  it("a user certifies a device and the certificate verifies", async () => {
    const user = generateUserKeys();
    const device = generateDeviceKeys();
    const cert = await certifyDevice(naclEd25519, user, device, "Büro-PC", Date.now());
    await verifyCertificate(naclEd25519, cert);
    await verifyCertificate(naclEd25519, decodeCertificate(encodeCertificate(cert)));
  });

  it("a certificate with a changed name or by another user is rejected", async () => {
    const cert = await certifyDevice(naclEd25519, alice.user, alice.device, "laptop", 1);
    await expect(verifyCertificate(naclEd25519, { ...cert, name: "phone" })).rejects.toMatchObject({
      code: "BAD_CERTIFICATE",
    });
    await expect(
      verifyCertificate(naclEd25519, { ...cert, user: bob.user.sign.publicKey }),
    ).rejects.toMatchObject({ code: "BAD_CERTIFICATE" });
  });
});

describe("sealed key boxes", () => {
  it("open for the recipient device only", () => {
    const key = newEpochKey();
    const box = sealKeyBox(key, bob.device.box.publicKey);
    expect(openKeyBox(box, bob.device.box.secretKey)).toEqual(key);
    expect(() => openKeyBox(box, alice.device.box.secretKey)).toThrow(
      expect.objectContaining({ code: "DECRYPT_FAILED" }),
    );
    expect(() => openKeyBox(box.subarray(1), bob.device.box.secretKey)).toThrow(
      expect.objectContaining({ code: "BAD_FORMAT" }),
    );
  });
});

describe("safety numbers", () => {
  it("are 12 groups of 5 digits, equal on both sides", () => {
    const ab = safetyNumber(alice.user.sign.publicKey, bob.user.sign.publicKey);
    expect(ab).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(safetyNumber(bob.user.sign.publicKey, alice.user.sign.publicKey)).toBe(ab);
  });

  it("change when either key changes", () => {
    const ab = safetyNumber(alice.user.sign.publicKey, bob.user.sign.publicKey);
    const other = generateUserKeys().sign.publicKey;
    expect(safetyNumber(alice.user.sign.publicKey, other)).not.toBe(ab);
    expect(safetyNumber(other, bob.user.sign.publicKey)).not.toBe(ab);
    expect(fingerprintGroups(other)).toHaveLength(6);
  });
});
