/**
 * Chromium as the app's window runs it, for the benches: a profile on disk.
 * A context made by `browser.newContext()` is a private window's, whose
 * IndexedDB lives in memory: no disk and no sync behind a "strict" commit,
 * and a backend whose cost grows with what the origin holds (decision 175:
 * 80-130 ms of the browser's CPU per catch-up's writes in memory, 17-23 on
 * disk). Figures about IndexedDB come from a profile on disk (decision 176).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumPath } from "../test/e2e/browser.js";
import { removeDir } from "../test/relay-harness.js";

/** A persistent context in a fresh profile directory, removed again by `close`. */
export async function launchOnDisk(): Promise<{
  context: BrowserContext;
  close: () => Promise<void>;
}> {
  const profile = mkdtempSync(join(tmpdir(), "grove-bench-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    close: async () => {
      await context.close();
      removeDir(profile);
    },
  };
}

/**
 * Starts a Chromium trace of every process through the page's DevTools
 * session (a persistent context has no Browser to trace with); the function
 * it returns ends it and gives the trace's JSON.
 */
export async function startTrace(page: Page, categories: string[]): Promise<() => Promise<string>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Tracing.start", {
    traceConfig: { includedCategories: categories },
    transferMode: "ReturnAsStream",
  });
  return async () => {
    const complete = new Promise<{ stream?: string }>((resolve) =>
      cdp.once("Tracing.tracingComplete", resolve),
    );
    await cdp.send("Tracing.end");
    const { stream } = await complete;
    let trace = "";
    if (stream) {
      for (;;) {
        const chunk = await cdp.send("IO.read", { handle: stream });
        trace += chunk.base64Encoded ? Buffer.from(chunk.data, "base64").toString() : chunk.data;
        if (chunk.eof) break;
      }
      await cdp.send("IO.close", { handle: stream });
    }
    await cdp.detach();
    return trace;
  };
}

/** A trace while `call` runs, ended whatever it does; the call's failure is thrown after. */
export async function traceWhile<R>(
  page: Page,
  categories: string[],
  call: () => Promise<R>,
): Promise<{ result: R; trace: string }> {
  const stop = await startTrace(page, categories);
  const outcome = await call().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const trace = await stop();
  if (!outcome.ok) throw outcome.error;
  return { result: outcome.value, trace };
}
