import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { fromHex, toHex } from "../../core/crypto/bytes.js";
import { naclEd25519 } from "../../core/crypto/ed25519.js";
import { openEnvelope } from "../../core/crypto/envelope.js";
import { EPOCH_KEY } from "../fixtures.js";
import { bundleForBrowser } from "./browser.js";

type GroveWindow = { grove: Record<string, (...args: unknown[]) => Promise<unknown>> };

const vectors = JSON.parse(
  readFileSync(new URL("../vectors/vectors.json", import.meta.url), "utf8"),
);

test.describe("core crypto in Chromium", () => {
  test.beforeEach(async ({ page }) => {
    const script = await bundleForBrowser(
      new URL("./pages/crypto-page.ts", import.meta.url).pathname,
    );
    // localhost is a secure context, which WebCrypto requires.
    await page.route("http://localhost/**", (route) => {
      const isScript = route.request().url().endsWith(".js");
      return route.fulfill({
        contentType: isScript ? "text/javascript" : "text/html",
        body: isScript ? script : '<!doctype html><script type="module" src="/crypto.js"></script>',
      });
    });
    await page.goto("http://localhost/crypto.html");
    await page.waitForFunction(() => "grove" in globalThis);
  });

  test("uses native WebCrypto Ed25519", async ({ page }) => {
    expect(
      await page.evaluate(() => (globalThis as unknown as GroveWindow).grove.backendName!()),
    ).toBe("webcrypto");
  });

  test("signs every known-answer vector byte for byte as tweetnacl does in Node", async ({
    page,
  }) => {
    const fromBrowser = await page.evaluate(() =>
      (globalThis as unknown as GroveWindow).grove.vectorsFromBrowser!(),
    );
    expect(fromBrowser).toEqual(vectors);
  });

  test("opens envelopes sealed in Node, and Node opens envelopes sealed in the browser", async ({
    page,
  }) => {
    for (const v of vectors.envelopes) {
      const payload = await page.evaluate(
        (hex) => (globalThis as unknown as GroveWindow).grove.openHex!(hex),
        v.hex,
      );
      expect(payload).toBe(v.payloadHex);
    }
    const sealed = (await page.evaluate(() =>
      (globalThis as unknown as GroveWindow).grove.sealHex!("from chromium"),
    )) as string;
    const opened = await openEnvelope(fromHex(sealed), {
      backend: naclEd25519,
      keyForEpoch: () => EPOCH_KEY,
    });
    expect(new TextDecoder().decode(opened.payload)).toBe("from chromium");
    expect(toHex(opened.payload)).not.toBe("");
  });

  test("tweetnacl accepts a WebCrypto signature made in the browser", async ({ page }) => {
    expect(
      await page.evaluate(() => (globalThis as unknown as GroveWindow).grove.crossVerify!()),
    ).toBe(true);
  });
});
