/**
 * Which URLs are "the app": the origin and path prefix of the URL the shell
 * loads (e.g. http://127.0.0.1:7447/app/). Navigation, IPC sender checks and
 * permissions all ask this one question, so they cannot disagree.
 */

/** The app URL main was asked to load, or the default the launcher uses. */
export const DEFAULT_APP_URL = "http://127.0.0.1:7447/app/";

export class AppUrlError extends Error {
  readonly code = "bad-app-url";
}

/**
 * Reads `--app-url=<url>` from argv. Only http: on a loopback host or https:
 * is accepted; the path is normalised to end in "/".
 */
export function appUrlFromArgv(argv: readonly string[], fallback = DEFAULT_APP_URL): URL {
  const arg = argv.find((a) => a.startsWith("--app-url="));
  const raw = arg ? arg.slice("--app-url=".length) : fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppUrlError(`--app-url is not a URL: ${raw}`);
  }
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (!(url.protocol === "https:" || (url.protocol === "http:" && loopback))) {
    throw new AppUrlError(`--app-url must be https: or http: on a loopback host: ${raw}`);
  }
  if (url.username || url.password) throw new AppUrlError("--app-url must not carry credentials");
  url.hash = "";
  url.search = "";
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

/** True when `candidate` has the app's origin and lies under its path. */
export function isAppUrl(candidate: string, app: URL): boolean {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  return url.origin === app.origin && url.pathname.startsWith(app.pathname);
}
