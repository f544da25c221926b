/** Exposes core crypto to Playwright, to check the browser path against Node's. */
import { fromHex, toHex } from "../../../core/crypto/bytes.js";
import { ed25519, naclEd25519 } from "../../../core/crypto/ed25519.js";
import { GENESIS_HASH, openEnvelope, sealEnvelope } from "../../../core/crypto/envelope.js";
import { EnvelopeKind } from "../../../core/wire/envelope.js";
import { alice, EPOCH_KEY, SPACE_ID } from "../../fixtures.js";
import { buildVectors } from "../../vectors/generate.js";

const api = {
  async backendName() {
    return (await ed25519()).name;
  },
  async vectorsFromBrowser() {
    return buildVectors(await ed25519());
  },
  async openHex(hex: string) {
    const opened = await openEnvelope(fromHex(hex), {
      backend: await ed25519(),
      keyForEpoch: () => EPOCH_KEY,
    });
    return toHex(opened.payload);
  },
  async sealHex(text: string) {
    const bytes = await sealEnvelope(
      {
        kind: EnvelopeKind.update,
        spaceId: SPACE_ID,
        epoch: 0,
        seq: 1,
        prevHash: GENESIS_HASH,
        payload: new TextEncoder().encode(text),
      },
      EPOCH_KEY,
      alice.device.sign,
      await ed25519(),
    );
    return toHex(bytes);
  },
  /** tweetnacl accepting a signature WebCrypto made in this browser. */
  async crossVerify() {
    const webcrypto = await ed25519();
    const message = new TextEncoder().encode("cross-check");
    const sig = await webcrypto.sign(alice.device.sign.secretKey, message);
    return naclEd25519.verify(alice.device.sign.publicKey, message, sig);
  },
};

(globalThis as unknown as { grove: typeof api }).grove = api;
