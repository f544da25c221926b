/**
 * The invite landing page at GET /join. The invite secret rides in the URL
 * fragment, which browsers never send to the server; the page's script reads
 * it locally and only builds links from it: grove://join#… for the installed
 * app and, where the operator names a web app (`--app-url`), <app>/join#….
 * The page loads nothing else and sends no referrer. A strict CSP allows
 * exactly its one inline script and style, by hash.
 */
import { createHash } from "node:crypto";

function script(appUrl: string | undefined): string {
  return `const hash = location.hash;
if (hash.length > 1) {
  const open = document.getElementById("open");
  open.href = "grove://join" + hash;
  open.hidden = false;
  const web = document.getElementById("web");
  if (web) {
    web.href = ${JSON.stringify(`${appUrl ?? ""}/join`)} + hash;
    web.hidden = false;
  }
} else {
  document.getElementById("missing").hidden = false;
}`;
}

const STYLE = `body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; color: #1b2b1f; background: #f6f8f4; }
@media (prefers-color-scheme: dark) { body { color: #e3ece4; background: #121814; } a.secondary { color: #9fd3ad; } }
a.button { display: inline-block; padding: .6rem 1.2rem; border-radius: .5rem; background: #2f7d46; color: #fff; text-decoration: none; }
a.secondary { margin-left: 1rem; color: #2f7d46; }`;

function html(appUrl: string | undefined, js: string): string {
  const web = appUrl
    ? `<a id="web" class="secondary" rel="noreferrer" hidden>Open in the web app</a>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Join a Grove space</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>You have been invited to a Grove space</h1>
<p>Grove is an end-to-end encrypted collaboration app: chat, discussions, notes and files shared
with a small group, kept on each member's own devices. This relay only passes encrypted data
along and cannot read the space. The secret part of your link stays in your browser: it was
never sent here.</p>
<p><a id="open" class="button" hidden>Open in Grove</a>${web}</p>
<p id="missing" hidden>This link is incomplete: ask for the invitation link again.</p>
<p>No Grove yet? Install it, then open this link again.</p>
</main>
<script>${js}</script>
</body>
</html>`;
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("base64");

export interface JoinPage {
  html: string;
  csp: string;
}

/** The page for a relay; `appUrl` (http or https) adds the web app link. */
export function joinPage(appUrl?: string): JoinPage {
  const js = script(appUrl?.replace(/\/+$/, ""));
  return {
    html: html(appUrl, js),
    csp: `default-src 'none'; script-src 'sha256-${sha256(js)}'; style-src 'sha256-${sha256(STYLE)}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  };
}
