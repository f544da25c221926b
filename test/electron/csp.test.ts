import { describe, expect, it } from "vitest";
import { enforceCsp, type HeaderHook, SHELL_CSP, withShellCsp } from "../../electron/csp.js";
import { APP_CSP } from "../../relay/app-files.js";

describe("shell CSP", () => {
  it("is the relay's web-app policy, word for word", () => {
    expect(SHELL_CSP).toBe(APP_CSP);
  });

  it("allows scripts and styles only from the app and forbids plugins, base and framing", () => {
    const directives = new Map(
      SHELL_CSP.split(";").map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values.join(" ")];
      }),
    );
    expect(directives.get("default-src")).toBe("'self'");
    // WebAssembly compiles (libsodium's secretbox), nothing else: no eval, no inline script.
    expect(directives.get("script-src")).toBe("'self' 'wasm-unsafe-eval'");
    expect(directives.get("object-src")).toBe("'none'");
    expect(directives.get("base-uri")).toBe("'none'");
    expect(directives.get("frame-ancestors")).toBe("'none'");
    expect(SHELL_CSP).not.toMatch(/'unsafe-inline'|'unsafe-eval'|\*/);
  });

  it("replaces whatever CSP a response carried, keeping the other headers", () => {
    const out = withShellCsp({
      "content-type": ["text/html"],
      "Content-Security-Policy": ["default-src *"],
      "content-security-policy-report-only": "script-src *",
    });
    expect(out).toEqual({ "content-type": ["text/html"], "Content-Security-Policy": [SHELL_CSP] });
    expect(withShellCsp(undefined)).toEqual({ "Content-Security-Policy": [SHELL_CSP] });
  });

  it("hooks every response the session receives", () => {
    let listener: Parameters<HeaderHook["onHeadersReceived"]>[0] | undefined;
    enforceCsp({ onHeadersReceived: (l) => (listener = l) });
    let answer: unknown;
    listener!({ responseHeaders: { "x-a": ["1"] } }, (r) => (answer = r));
    expect(answer).toEqual({
      responseHeaders: { "x-a": ["1"], "Content-Security-Policy": [SHELL_CSP] },
    });
  });
});
