/**
 * The open worker (core/sync/dom-open-worker.ts) in Chromium, loaded from
 * the page's own origin under the app's CSP (relay/app-files.ts APP_CSP):
 * it verifies before it decrypts, so a forged envelope comes back as the
 * same typed BAD_SIGNATURE the page gives, and every other result equals
 * the page's own openDecodedBatch.
 */
import { expect, test } from "@playwright/test";
import { toHex } from "../../core/crypto/bytes.js";
import { ed25519 } from "../../core/crypto/ed25519.js";
import { EnvelopeWriter } from "../../core/crypto/envelope-writer.js";
import { EnvelopeKind } from "../../core/wire/envelope.js";
import { APP_CSP } from "../../relay/app-files.js";
import { alice, bob, EPOCH_KEY, SPACE_ID, seqBytes } from "../fixtures.js";
import { bundleForBrowser } from "./browser.js";
import { callPage } from "./page-api.js";
import type { OpenWorkerApi } from "./pages/open-worker-page.js";

test("the worker opens a batch as the page does, a forgery refused with BAD_SIGNATURE", async ({
  page,
}) => {
  const [script, worker] = await Promise.all([
    bundleForBrowser(new URL("./pages/open-worker-page.ts", import.meta.url).pathname),
    bundleForBrowser(new URL("../../core/sync/dom-open-worker.ts", import.meta.url).pathname),
  ]);
  const failures: string[] = [];
  page.on("console", (m) => m.type() === "error" && failures.push(m.text()));
  // localhost is a secure context (WebCrypto); every response carries the app's CSP.
  await page.route("http://localhost/**", (route) => {
    const path = new URL(route.request().url()).pathname;
    const body = path === "/page.js" ? script : path === "/open-worker.js" ? worker : undefined;
    return route.fulfill({
      contentType: body ? "text/javascript" : "text/html",
      headers: { "content-security-policy": APP_CSP },
      body: body ?? '<!doctype html><script type="module" src="/page.js"></script>',
    });
  });
  await page.goto("http://localhost/page.html");
  await page.waitForFunction(() => "grove" in globalThis);

  const backend = await ed25519();
  const envelopes: Uint8Array[] = [];
  for (const author of [alice.device.sign, bob.device.sign]) {
    const writer = new EnvelopeWriter(SPACE_ID, author, backend);
    for (let i = 0; i < 20; i++) {
      envelopes.push(await writer.seal(EnvelopeKind.update, seqBytes(30, i), 0, EPOCH_KEY));
    }
  }
  const forged = envelopes[5]!.slice();
  forged[forged.length - 70]! ^= 1; // a ciphertext byte, under alice's signature
  envelopes[5] = forged;

  const result = await callPage<OpenWorkerApi, "open">(page, "open", {
    envelopes: envelopes.map(toHex),
    spaceId: toHex(SPACE_ID),
    epochKey: toHex(EPOCH_KEY),
  });
  expect(result.inWorker).toEqual(result.onPage);
  expect(result.inWorker[5]).toBe("BAD_SIGNATURE");
  expect(result.inWorker.filter((r) => r === "BAD_SIGNATURE")).toHaveLength(1);
  expect(result.errorClass).toBe("CryptoError");
  // The worker runs WebCrypto's Ed25519 and libsodium's WebAssembly under the CSP.
  expect(result).toMatchObject({ served: 1, failures: 0, backends: "webcrypto/libsodium/wasm" });
  expect(failures.filter((f) => /Content Security Policy|worker/i.test(f))).toEqual([]);
});
