/**
 * Invite links. Everything secret rides in the URL fragment, which browsers
 * never send to a server: `https://<relay>/join#<payload>`, or
 * `grove://join#<payload>` for the installed app. The payload is one random
 * seed plus what the joiner needs to find the space and trust its welcome:
 *
 *   u8 version, string relayUrl, bytes16 spaceId, u8 mode (0 open, 1 confirmed),
 *   bytes32 seed, bytes32 inviter device key
 *
 * in unpadded base64url. From the seed come the invite's signing key (its
 * mailbox at the relay, and the key join proofs are signed with), its box
 * key, and its channel key (join requests and the welcome are sealed under
 * it). The inviter's device key lets the joiner check the welcome's signature.
 */

import * as encoding from "lib0/encoding";
import nacl from "tweetnacl";
import { concatBytes, utf8 } from "../crypto/bytes.js";
import { hash32 } from "../crypto/hash.js";
import { KEY_BYTES, SPACE_ID_BYTES } from "../wire/envelope.js";
import { DecodeError } from "../wire/errors.js";
import { decodeStrict, encodeWith, writeFixed, writeString } from "../wire/reader.js";
import type { InviteMode } from "./ops.js";

const VERSION = 1;
const MAX_URL_BYTES = 512;

export interface InviteLink {
  relayUrl: string;
  spaceId: Uint8Array;
  mode: InviteMode;
  seed: Uint8Array;
  inviter: Uint8Array;
}

export interface InviteKeys {
  sign: nacl.SignKeyPair;
  box: nacl.BoxKeyPair;
  channelKey: Uint8Array;
}

/** The keys an invite's seed stands for; inviter and joiner derive the same. */
export function inviteKeys(seed: Uint8Array): InviteKeys {
  const derive = (label: string) => hash32(concatBytes(utf8(`grove/invite/${label}`), seed));
  return {
    sign: nacl.sign.keyPair.fromSeed(derive("sign")),
    box: nacl.box.keyPair.fromSecretKey(derive("box")),
    channelKey: derive("channel"),
  };
}

/**
 * The epoch number envelopes sealed under an invite's channel key carry:
 * high bit set, so it never meets a rotation's epoch (high bit clear).
 */
export function channelEpoch(inviteSign: Uint8Array): number {
  const h = hash32(concatBytes(utf8("grove/invite/epoch"), inviteSign));
  const [a = 0, b = 0, c = 0, d = 0] = h;
  return ((a << 24) | (b << 16) | (c << 8) | d | 0x80000000) >>> 0;
}

export function encodeInvitePayload(link: InviteLink): string {
  const bytes = encodeWith((e) => {
    encoding.writeUint8(e, VERSION);
    writeString(e, link.relayUrl);
    writeFixed(e, link.spaceId, SPACE_ID_BYTES, "spaceId");
    encoding.writeUint8(e, link.mode === "open" ? 0 : 1);
    writeFixed(e, link.seed, 32, "seed");
    writeFixed(e, link.inviter, KEY_BYTES, "inviter");
  });
  return toBase64Url(bytes);
}

export function decodeInvitePayload(payload: string): InviteLink {
  const bytes = fromBase64Url(payload);
  return decodeStrict(bytes, (r) => {
    const version = r.u8("version");
    if (version !== VERSION) {
      throw new DecodeError("UNSUPPORTED_VERSION", `invite version ${version} is not supported`);
    }
    const relayUrl = r.string("relayUrl", MAX_URL_BYTES);
    if (!/^wss?:\/\/[^\s#]+$/.test(relayUrl)) {
      throw new DecodeError("INVALID_VALUE", "relayUrl is not a ws:// or wss:// URL");
    }
    const spaceId = r.fixed(SPACE_ID_BYTES, "spaceId").slice();
    const modeByte = r.u8("mode");
    if (modeByte > 1) throw new DecodeError("INVALID_VALUE", `unknown invite mode ${modeByte}`);
    return {
      relayUrl,
      spaceId,
      mode: modeByte === 0 ? "open" : "confirmed",
      seed: r.fixed(32, "seed").slice(),
      inviter: r.fixed(KEY_BYTES, "inviter").slice(),
    };
  });
}

/** The link a person is sent: the relay's landing page, the secret in the fragment. */
export function inviteUrl(publicHttpUrl: string, link: InviteLink): string {
  return `${publicHttpUrl.replace(/\/+$/, "")}/join#${encodeInvitePayload(link)}`;
}

/** The payload of an https://…/join#… or grove://join#… link, or a bare payload. */
export function parseInviteUrl(text: string): InviteLink {
  const trimmed = text.trim();
  const hash = trimmed.indexOf("#");
  const payload = hash >= 0 ? trimmed.slice(hash + 1) : trimmed;
  if (hash >= 0 && !/^(https?:\/\/[^#]+\/join|grove:\/\/join)#/.test(trimmed)) {
    throw new DecodeError("INVALID_VALUE", "not a Grove invite link");
  }
  return decodeInvitePayload(payload);
}

export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) {
    throw new DecodeError("MALFORMED", "invite payload is not base64url");
  }
  let binary: string;
  try {
    binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw new DecodeError("MALFORMED", "invite payload is not base64url");
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
