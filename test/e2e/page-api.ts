/**
 * Calls a test page's `grove` API from Playwright with its types: the page
 * module exports the API's type, the spec names the method and arguments.
 */
import type { Page } from "@playwright/test";

// biome-ignore lint/suspicious/noExplicitAny: any page API shape
type Api = Record<string, (...args: any[]) => unknown>;

export function callPage<A extends Api, M extends keyof A & string>(
  page: Page,
  method: M,
  ...args: Parameters<A[M]>
): Promise<Awaited<ReturnType<A[M]>>> {
  return page.evaluate(
    ([m, a]) =>
      (globalThis as unknown as { grove: Record<string, (...x: unknown[]) => unknown> }).grove[m]!(
        ...a,
      ),
    [method, args] as const,
  ) as Promise<Awaited<ReturnType<A[M]>>>;
}

/** Serves one bundled page module as /<name>.html + /<name>.js. */
export function pageFiles(name: string, script: string) {
  return {
    [`/${name}.html`]: {
      type: "text/html",
      body: `<!doctype html><script type="module" src="/${name}.js"></script>`,
    },
    [`/${name}.js`]: { type: "text/javascript", body: script },
  };
}
