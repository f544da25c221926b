/**
 * Multi-device: a user's second device is a member device of the same
 * spaces; edits on either appear on the other, and on every other member's.
 * The user certifies both devices with one user key; the space lists both
 * device keys. Real relay process, real engines on encrypted file stores.
 */
import nacl from "tweetnacl";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Ed25519Backend, ed25519 } from "../core/crypto/ed25519.js";
import {
  certifyDevice,
  type DeviceCertificate,
  type DeviceKeys,
  generateDeviceKeys,
  generateUserKeys,
  type UserKeys,
  verifyCertificate,
} from "../core/crypto/identity.js";
import { waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";
import { contentOf, spaceFor, TestDevice, waitConverged } from "./sync-harness.js";

const relay = relayPerFile();
let backend: Ed25519Backend;
beforeAll(async () => {
  backend = await ed25519();
});
const devices: TestDevice[] = [];
afterEach(async () => {
  for (const d of devices.splice(0)) {
    await d.stop().catch(() => {});
    d.remove();
  }
});

interface User {
  keys: UserKeys;
  devices: { keys: DeviceKeys; cert: DeviceCertificate }[];
}

/** A user with one certified device per name. */
async function user(...names: string[]): Promise<User> {
  const keys = generateUserKeys();
  const certified = [];
  for (const name of names) {
    const device = generateDeviceKeys();
    certified.push({ keys: device, cert: await certifyDevice(backend, keys, device, name, 1000) });
  }
  return { keys, devices: certified };
}

/** Fails unless `cert` is the user's valid signature over exactly this device's keys. */
async function expectCertified(owner: User, device: User["devices"][number]): Promise<void> {
  await verifyCertificate(backend, device.cert);
  expect(device.cert.user).toEqual(owner.keys.sign.publicKey);
  expect(device.cert.deviceSign).toEqual(device.keys.sign.publicKey);
  expect(device.cert.deviceBox).toEqual(device.keys.box.publicKey);
}

/** Alice with a laptop and a phone, Bob with one device; all three member devices of one space. */
async function aliceAndBob() {
  const alice = await user("alice's laptop", "alice's phone");
  const bob = await user("bob's desktop");
  for (const d of alice.devices) await expectCertified(alice, d);
  await expectCertified(bob, bob.devices[0]!);

  const fixture = spaceFor(3, {
    spaceId: nacl.randomBytes(16),
    epochKey: nacl.randomBytes(32),
    members: [...alice.devices, ...bob.devices].map((d) => d.keys.sign),
  });
  const opened: TestDevice[] = [];
  for (let i = 0; i < 3; i++) {
    const d = await TestDevice.open(fixture, i, () => relay.url);
    devices.push(d);
    opened.push(d);
  }
  const [laptop, phone, desktop] = opened as [TestDevice, TestDevice, TestDevice];
  return { alice, bob, laptop, phone, desktop };
}

type Content = { chat: string[]; notes: string; tasks: Record<string, { done: boolean }> };
const content = (d: TestDevice) => contentOf(d.space.doc) as Content;
const chat = (d: TestDevice, text: string) =>
  d.space.edit((doc) => doc.getArray("chat").push([text]));

describe("a user with two devices", () => {
  it("a certificate vouches for one device of one user: another key in it fails verification", async () => {
    const alice = await user("alice's laptop", "alice's phone");
    const [laptop, phone] = alice.devices as [User["devices"][0], User["devices"][0]];
    for (const d of alice.devices) await expectCertified(alice, d);
    await expect(
      verifyCertificate(backend, { ...laptop.cert, deviceSign: phone.keys.sign.publicKey }),
    ).rejects.toMatchObject({ code: "BAD_CERTIFICATE" });
    const mallory = generateUserKeys();
    await expect(
      verifyCertificate(backend, { ...laptop.cert, user: mallory.sign.publicKey }),
    ).rejects.toMatchObject({ code: "BAD_CERTIFICATE" });
  });

  it("an edit on either device appears on the other, and on the other member's device", async () => {
    const { laptop, phone, desktop } = await aliceAndBob();

    await chat(laptop, "written on the laptop");
    await waitFor(
      () => content(phone).chat.includes("written on the laptop"),
      "the phone to show the laptop's message",
    );

    await phone.space.edit((doc) => doc.getMap("tasks").set("buy-milk", { done: false }));
    phone.space.type((doc) => doc.getText("notes").insert(0, "typed on the phone"));
    await phone.space.flush();
    await waitFor(
      () => "buy-milk" in content(laptop).tasks && content(laptop).notes === "typed on the phone",
      "the laptop to show the phone's task and note",
    );

    await waitConverged([laptop, phone, desktop], "laptop, phone and bob's desktop to converge");
    expect(content(desktop)).toEqual({
      chat: ["written on the laptop"],
      notes: "typed on the phone",
      tasks: { "buy-milk": { done: false } },
    });
    for (const d of [laptop, phone, desktop]) expect(d.space.stats.rejected).toEqual({});
  });

  it("a device that was off catches up on return with what the other device did meanwhile", async () => {
    const { laptop, phone, desktop } = await aliceAndBob();
    await chat(phone, "before the phone went off");
    await waitConverged([laptop, phone, desktop], "all three to hold the phone's first message");

    await phone.stop();
    const whileOff: string[] = [];
    for (let i = 0; i < 60; i++) {
      const text = `laptop while the phone is off ${i}`;
      whileOff.push(text);
      await chat(laptop, text);
      if (i % 10 === 0) {
        await laptop.space.edit((doc) =>
          doc.getMap("tasks").set(`task-${i}`, { done: i % 20 === 0 }),
        );
      }
      laptop.space.type((doc) => doc.getText("notes").insert(doc.getText("notes").length, `${i};`));
    }
    await laptop.space.flush();
    await chat(desktop, "bob while alice's phone is off");
    await waitConverged([laptop, desktop], "the laptop and bob's desktop to converge");

    await phone.start(); // reopened on the same directory, as after an app restart
    await waitConverged([laptop, phone, desktop], "the phone to catch up on its return");
    const caughtUp = content(phone);
    expect(caughtUp.chat).toEqual(expect.arrayContaining(whileOff));
    expect(caughtUp.chat).toContain("before the phone went off");
    expect(caughtUp.chat).toContain("bob while alice's phone is off");
    expect(Object.keys(caughtUp.tasks).sort()).toEqual(
      Array.from({ length: 6 }, (_, k) => `task-${k * 10}`).sort(),
    );
    expect(caughtUp.notes).toBe(Array.from({ length: 60 }, (_, i) => `${i};`).join(""));

    // After the restart the phone writes on from where it stopped: the others take its edit.
    await chat(phone, "the phone is back");
    await waitFor(
      () =>
        content(laptop).chat.includes("the phone is back") &&
        content(desktop).chat.includes("the phone is back"),
      "the laptop and bob's desktop to show the phone's edit after its restart",
    );
    await waitConverged([laptop, phone, desktop], "all three to converge after the phone's edit");
    expect(content(desktop).chat).toEqual(
      expect.arrayContaining([...whileOff, "the phone is back"]),
    );
    for (const d of [laptop, phone, desktop]) expect(d.space.stats.rejected).toEqual({});
  });
});
