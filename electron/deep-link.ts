/**
 * Deep links: `grove://join#<invite>` (an invitation) and
 * `grove://link#<offer>` (linking a new device). The OS delivers them as a
 * command-line argument (first launch everywhere; second-instance on
 * Windows and Linux) or as an `open-url` event (macOS). Anything else,
 * another host, a path, a query, credentials, an empty fragment, control
 * characters or a huge string, is rejected. The fragment, which carries the
 * secret, is kept verbatim; it never reaches a server.
 */
export type DeepLinkKind = "join" | "link";

export interface DeepLink {
  kind: DeepLinkKind;
  /** Normalised: `grove://<kind>#<fragment>`. */
  url: string;
  /** The fragment without its "#". */
  fragment: string;
}

export const MAX_DEEP_LINK_LENGTH = 8192;
const KINDS: readonly DeepLinkKind[] = ["join", "link"];

export function parseDeepLink(raw: string): DeepLink | undefined {
  if (typeof raw !== "string" || raw.length > MAX_DEEP_LINK_LENGTH) return undefined;
  // Whitespace or control characters have no place in a link (and hint at argument injection).
  if (hasUnsafeCharacter(raw)) return undefined;
  const hashAt = raw.indexOf("#");
  if (hashAt < 0) return undefined;
  const fragment = raw.slice(hashAt + 1);
  if (fragment.length === 0) return undefined;
  let url: URL;
  try {
    url = new URL(raw.slice(0, hashAt));
  } catch {
    return undefined;
  }
  if (url.protocol !== "grove:") return undefined;
  if (url.username || url.password || url.port || url.search) return undefined;
  // Some launchers append a slash: grove://join/#…
  if (url.pathname !== "" && url.pathname !== "/") return undefined;
  const kind = KINDS.find((k) => k === url.hostname.toLowerCase());
  if (!kind) return undefined;
  return { kind, url: `grove://${kind}#${fragment}`, fragment };
}

function hasUnsafeCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return /\s/.test(text);
}

/**
 * The deep link in a process's argv, if any: the last argument that parses
 * (Windows and Linux put it after Electron's own flags). Flags are skipped.
 */
export function deepLinkFromArgv(argv: readonly string[]): DeepLink | undefined {
  for (let i = argv.length - 1; i >= 0; i--) {
    const arg = argv[i];
    if (arg === undefined || arg.startsWith("-")) continue;
    const link = parseDeepLink(arg);
    if (link) return link;
  }
  return undefined;
}

/** The part of Electron's `app` that delivers macOS links. */
export interface OpenUrlSource {
  on(
    event: "open-url",
    listener: (event: { preventDefault(): void }, url: string) => void,
  ): unknown;
}

/**
 * macOS: the OS sends links as `open-url`, possibly before `ready`. Valid
 * links go to `onLink`; invalid ones are dropped (and still prevented, so
 * the OS does not retry them elsewhere).
 */
export function watchOpenUrl(app: OpenUrlSource, onLink: (link: DeepLink) => void): void {
  app.on("open-url", (event, url) => {
    event.preventDefault();
    const link = parseDeepLink(url);
    if (link) onLink(link);
  });
}
