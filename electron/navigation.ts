/**
 * Where Grove's window may go. Same-origin app URLs stay in the window;
 * https: and mailto: leave for the OS (shell.openExternal); everything else
 * (http: elsewhere, file:, javascript:, data:, custom schemes, garbage) is
 * denied. New windows are never created: window.open and target=_blank get
 * the same decision, an app URL loading in the one window.
 */
import { isAppUrl } from "./app-url.js";

export type NavigationDecision =
  | { action: "stay" }
  | { action: "external"; url: string }
  | { action: "deny" };

const EXTERNAL_PROTOCOLS = new Set(["https:", "mailto:"]);

export function isExternalUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return EXTERNAL_PROTOCOLS.has(url.protocol) && !url.username && !url.password;
  } catch {
    return false;
  }
}

export function decideNavigation(url: string, appUrl: URL): NavigationDecision {
  if (isAppUrl(url, appUrl)) return { action: "stay" };
  if (isExternalUrl(url)) return { action: "external", url };
  return { action: "deny" };
}

/** The parts of WebContents the guard hooks (Electron's satisfies them). */
export interface NavigableContents {
  on(
    event: "will-navigate",
    listener: (event: { url: string; preventDefault(): void }) => void,
  ): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: "deny" }): void;
  loadURL(url: string): Promise<void>;
}

export function guardNavigation(
  contents: NavigableContents,
  appUrl: URL,
  openExternal: (url: string) => Promise<void>,
): void {
  const external = (url: string) => {
    openExternal(url).catch((err: unknown) => {
      // The OS had no handler: nothing changes in the window, the shell's log says why.
      console.warn(`Grove: no application opened ${new URL(url).protocol} link:`, errorText(err));
    });
  };
  contents.on("will-navigate", (event) => {
    const decision = decideNavigation(event.url, appUrl);
    if (decision.action === "stay") return;
    event.preventDefault();
    if (decision.action === "external") external(decision.url);
  });
  contents.setWindowOpenHandler(({ url }) => {
    const decision = decideNavigation(url, appUrl);
    if (decision.action === "stay") {
      contents.loadURL(url).catch((err: unknown) => {
        console.error("Grove: could not load an app page:", errorText(err));
      });
    }
    if (decision.action === "external") external(decision.url);
    return { action: "deny" };
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
