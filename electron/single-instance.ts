/**
 * One Grove per user: the first instance holds the lock; a later one (say,
 * started by the OS for a `grove://join#…` link) hands its deep link to the
 * first and quits. The link travels twice, as Electron's additionalData
 * (exact) and in argv (which Windows and Linux pass along anyway); the
 * first instance prefers the former, focuses its window and emits the link.
 */
import { type DeepLink, deepLinkFromArgv, parseDeepLink } from "./deep-link.js";

/** The part of Electron's `app` this module uses (the real one satisfies it). */
export interface SingleInstanceApp {
  requestSingleInstanceLock(additionalData?: Record<string, unknown>): boolean;
  quit(): void;
  on(
    event: "second-instance",
    listener: (event: unknown, argv: string[], cwd: string, additionalData: unknown) => void,
  ): unknown;
}

export interface ForwardedData {
  deepLink?: string;
}

export interface SingleInstanceHooks {
  /** Brings the existing window to the front (restore, show, focus). */
  focus(): void;
  onLink(link: DeepLink): void;
}

/**
 * Returns true when this process is the first instance and should go on;
 * false when it forwarded its link and is quitting.
 */
export function claimSingleInstance(
  app: SingleInstanceApp,
  argv: readonly string[],
  hooks: SingleInstanceHooks,
): boolean {
  const own = deepLinkFromArgv(argv);
  const data: ForwardedData = own ? { deepLink: own.url } : {};
  if (!app.requestSingleInstanceLock({ ...data })) {
    app.quit();
    return false;
  }
  app.on("second-instance", (_event, otherArgv, _cwd, additionalData) => {
    hooks.focus();
    const link = linkFromForwarded(additionalData) ?? deepLinkFromArgv(otherArgv);
    if (link) hooks.onLink(link);
  });
  return true;
}

function linkFromForwarded(data: unknown): DeepLink | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const raw = (data as ForwardedData).deepLink;
  return typeof raw === "string" ? parseDeepLink(raw) : undefined;
}
