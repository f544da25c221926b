/**
 * The Content-Security-Policy the shell enforces on every response its
 * session receives (onHeadersReceived), whatever the server sent: the same
 * policy the relay serves the web app with (relay/app-files.ts APP_CSP; a
 * test keeps the two equal). Enforcing it in the shell means a relay that
 * is compromised or misconfigured still cannot loosen it.
 */

export const SHELL_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export type ResponseHeaders = Record<string, string[] | string>;

/** The headers with every CSP header (any case, report-only too) replaced by SHELL_CSP. */
export function withShellCsp(headers: ResponseHeaders | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower === "content-security-policy" || lower === "content-security-policy-report-only") {
      continue;
    }
    out[name] = Array.isArray(value) ? value : [value];
  }
  out["Content-Security-Policy"] = [SHELL_CSP];
  return out;
}

/** The part of Electron's session.webRequest used here. */
export interface HeaderHook {
  onHeadersReceived(
    listener: (
      details: { responseHeaders?: Record<string, string[]> },
      callback: (response: { responseHeaders: Record<string, string[]> }) => void,
    ) => void,
  ): void;
}

export function enforceCsp(webRequest: HeaderHook): void {
  webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withShellCsp(details.responseHeaders) });
  });
}
