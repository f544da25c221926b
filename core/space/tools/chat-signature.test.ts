import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { toHex } from "../../crypto/bytes.js";
import { ed25519 } from "../../crypto/ed25519.js";
import { generateDeviceKeys } from "../../crypto/identity.js";
import { type ChatMessage, draftPost, messages, putMessage } from "./chat.js";
import { type Authenticity, MessageVerifier, signMessage } from "./chat-signature.js";

const SPACE = new Uint8Array(16).fill(5);

async function setting() {
  const backend = await ed25519();
  const ann = { user: "a".repeat(64), keys: generateDeviceKeys().sign };
  const mallory = { user: "c".repeat(64), keys: generateDeviceKeys().sign };
  const users = new Map([
    [toHex(ann.keys.publicKey), ann.user],
    [toHex(mallory.keys.publicKey), mallory.user],
  ]);
  let settled = 0;
  const verifier = new MessageVerifier({
    spaceId: SPACE,
    userOfDevice: (device) => users.get(device),
    verify: (device, bytes, sig) => backend.verify(device, bytes, sig),
    onSettled: () => settled++,
  });
  /** The verdict once the check has run. */
  const verdictOf = async (m: ChatMessage): Promise<Authenticity> => {
    const before = settled;
    const first = verifier.verdict(m);
    if (first) return first;
    while (settled === before) await new Promise((r) => setTimeout(r, 1));
    return verifier.verdict(m)!;
  };
  const signAs = (who: typeof ann, m: ChatMessage) =>
    signMessage(SPACE, m, (bytes) => backend.sign(who.keys.secretKey, bytes));
  return { ann, mallory, users, verifier, verdictOf, signAs, backend };
}

const draft = (doc: Y.Doc, author: string, device: string, text: string) =>
  draftPost(doc, { id: "0".repeat(24), author, device, name: "Ann", at: 1, text, mentions: [] });

describe("chat record signatures", () => {
  it("hold for a record its author's device signed, through a doc and back", async () => {
    const { ann, verdictOf, signAs } = await setting();
    const doc = new Y.Doc();
    const signed = await signAs(ann, draft(doc, ann.user, toHex(ann.keys.publicKey), "hello"));
    putMessage(doc, signed);
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
    expect(await verdictOf(messages(copy)[0]!)).toBe("verified");
  });

  it("call out a record that names someone else as its author", async () => {
    const { ann, mallory, verdictOf, signAs } = await setting();
    const doc = new Y.Doc();
    // Mallory names Ann and Ann's device, but can only sign with her own key.
    const posing = await signAs(mallory, draft(doc, ann.user, toHex(ann.keys.publicKey), "pay me"));
    expect(await verdictOf(posing)).toBe("forged");
    // Mallory names Ann with her own device: the device is not Ann's.
    const own = await signAs(
      mallory,
      draft(doc, ann.user, toHex(mallory.keys.publicKey), "pay me"),
    );
    expect(await verdictOf(own)).toBe("forged");
    // Ann's real record with its text changed afterwards.
    const real = await signAs(ann, draft(doc, ann.user, toHex(ann.keys.publicKey), "hi"));
    expect(await verdictOf({ ...real, text: "pay Mallory" })).toBe("forged");
    expect(await verdictOf({ ...real, mentions: [mallory.user] })).toBe("forged");
    // A record with no signature at all says so.
    expect(await verdictOf(draft(doc, ann.user, toHex(ann.keys.publicKey), "old"))).toBe(
      "unsigned",
    );
    // Signed by Ann for another space, and copied here: not valid here.
    const { backend } = await setting();
    const elsewhere = await signMessage(
      new Uint8Array(16).fill(6),
      draft(doc, ann.user, toHex(ann.keys.publicKey), "hi"),
      (b) => backend.sign(ann.keys.secretKey, b),
    );
    expect(await verdictOf(elsewhere)).toBe("forged");
  });

  it("check a record from a device it did not know again once membership changes", async () => {
    const { verifier, verdictOf, users, signAs } = await setting();
    const doc = new Y.Doc();
    const bob = { user: "b".repeat(64), keys: generateDeviceKeys().sign };
    const early = await signAs(bob, draft(doc, bob.user, toHex(bob.keys.publicKey), "hi"));
    expect(await verdictOf(early)).toBe("forged");
    users.set(toHex(bob.keys.publicKey), bob.user);
    verifier.recheckUnknownDevices();
    expect(await verdictOf(early)).toBe("verified");
  });
});
