/**
 * The invite landing page at GET /join. The invite secret rides in the URL
 * fragment, which browsers never send to the server; the page's script reads
 * it locally and only builds the grove:// link from it. A strict CSP allows
 * exactly that one inline script, by hash. Wording is provisional until the
 * membership work lands.
 */
import { createHash } from "node:crypto";

const SCRIPT = `const hash = location.hash;
if (hash.length > 1) {
  const open = document.getElementById("open");
  open.href = "grove://join" + hash;
  open.hidden = false;
} else {
  document.getElementById("missing").hidden = false;
}`;

const STYLE = `body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; color: #1b2b1f; background: #f6f8f4; }
@media (prefers-color-scheme: dark) { body { color: #e3ece4; background: #121814; } }
a.button { display: inline-block; padding: .6rem 1.2rem; border-radius: .5rem; background: #2f7d46; color: #fff; text-decoration: none; }`;

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Join a Grove space</title>
<style>${STYLE}</style>
</head>
<body>
<h1>You have been invited to a Grove space</h1>
<p>Grove is an end-to-end encrypted collaboration app: chat, discussions, notes and files shared
with a small group, kept on each member's own devices. This relay only passes encrypted data
along and cannot read the space.</p>
<p><a id="open" class="button" hidden>Open in Grove</a></p>
<p id="missing" hidden>This link is incomplete: ask for the invitation link again.</p>
<p>No Grove yet? Install it, then open this link again.</p>
<script>${SCRIPT}</script>
</body>
</html>`;

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("base64");

export const JOIN_PAGE = {
  html: HTML,
  csp: `default-src 'none'; script-src 'sha256-${sha256(SCRIPT)}'; style-src 'sha256-${sha256(STYLE)}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
};
