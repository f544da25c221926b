/**
 * A user's identity from the client's side: onboarding creates one (user
 * key, this device's key and certificate, the account space); linking adds a
 * device to one: the new device asks with the text the old one shows and,
 * once accepted, becomes ready with the account space and every space; the
 * old device (holding the user key) offers the link and accepts the request.
 */

import {
  certifyDevice,
  generateDeviceKeys,
  generateUserKeys,
} from "../../../core/crypto/identity.js";
import { noted } from "../../../core/diagnostics/recent-errors.js";
import { AccountSpace } from "../../../core/membership/account.js";
import {
  DeviceLinkOffer,
  decodeDeviceLink,
  type LinkRequest,
  linkCode,
  openLinkedSpaces,
  requestLink,
} from "../../../core/membership/device-link.js";
import { MemberSpace } from "../../../core/membership/member-space.js";
import type { ClientCore } from "./client-core.js";
import { ClientStateError } from "./client-state.js";
import { makeEngine } from "./engine.js";
import { meOf } from "./open-spaces.js";
import { type Profile, saveProfile } from "./profile.js";

export interface OnboardingInput {
  name: string;
  email: string;
  deviceName: string;
  relayUrl: string;
}

/** Creates the identity (user key, this device's key and certificate) and the account space. */
export async function onboard(client: ClientCore, input: OnboardingInput): Promise<void> {
  const vault = client.vault();
  const user = generateUserKeys();
  const device = generateDeviceKeys();
  const cert = await certifyDevice(vault.backend, user, device, input.deviceName, Date.now());
  const draft: Profile = {
    name: input.name.trim(),
    email: input.email.trim(),
    deviceName: input.deviceName.trim(),
    relayUrl: input.relayUrl.trim(),
    user,
    device,
    cert,
    accountSpace: "",
    spaces: [],
  };
  const engine = makeEngine(client.platform, vault, draft);
  const member = await MemberSpace.create({
    engine,
    store: vault.store,
    backend: vault.backend,
    me: { keys: device, cert, name: draft.name },
    name: "Account",
  });
  const account = await AccountSpace.init(member);
  const profile = { ...draft, accountSpace: member.space.id };
  await saveProfile(vault.store, profile);
  client.begin({ ...vault, profile, engine, account });
  engine.start();
  client.changed();
}

/** The new device's side; `done` settles once the other device accepted (or refused). */
export async function linkThisDevice(client: ClientCore, text: string, deviceName: string) {
  const vault = client.vault();
  const link = decodeDeviceLink(text.trim());
  const keys = generateDeviceKeys();
  const { code, linked } = await requestLink({
    text: text.trim(),
    keys,
    name: deviceName.trim(),
    backend: vault.backend,
    connect: client.platform.connect,
  });
  const done = linked.then(async (result) => {
    const [accountId, ...spaces] = result.spaces;
    const profile: Profile = {
      name: result.me.name,
      email: "",
      deviceName: deviceName.trim(),
      relayUrl: link.relayUrl,
      device: keys,
      cert: result.me.cert,
      accountSpace: accountId ?? "",
      spaces,
    };
    await saveProfile(vault.store, profile);
    const engine = makeEngine(client.platform, vault, profile);
    const opened = await openLinkedSpaces({
      result,
      engine,
      store: vault.store,
      backend: vault.backend,
    });
    const accountMember = opened.find((m) => m.space.id === accountId);
    if (!accountMember) {
      throw new ClientStateError("NOT_READY", "the other device sent no account space");
    }
    client.begin({ ...vault, profile, engine, account: new AccountSpace(accountMember) });
    for (const member of opened) if (member !== accountMember) client.adopt(member, engine);
    engine.start();
    for (const h of client.spaces.values()) {
      void h.presence.start().catch(noted("PRESENCE", "starting to announce presence"));
    }
    client.changed();
  });
  return { code, done };
}

/** The old device's side: the text and QR to show, and accepting the request that comes. */
export function offerDeviceLink(client: ClientCore) {
  const session = client.session();
  const { profile } = session;
  if (!profile.user) {
    throw new ClientStateError(
      "NO_USER_KEY",
      "only the device that created this identity can link new devices",
    );
  }
  const offer = new DeviceLinkOffer({
    relayUrl: profile.relayUrl,
    me: meOf(session),
    user: profile.user,
    backend: session.backend,
    connect: client.platform.connect,
  });
  return {
    text: offer.text,
    next: () => offer.nextRequest(),
    code: (request: LinkRequest) => linkCode(offer.seed, request),
    /** Certifies the device and adds it to every space; the account space goes first. */
    accept: async (request: LinkRequest) => {
      const spaces = [
        client.session().account.member,
        ...[...client.spaces.values()].filter((h) => h.isMember).map((h) => h.member),
      ];
      await offer.accept(request, spaces);
    },
    close: () => offer.close(),
  };
}
