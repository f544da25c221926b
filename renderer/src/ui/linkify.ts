/**
 * Bare web addresses in message text become links (as in Slack, Element and
 * Signal), as a remark plugin over the parsed markdown. Only http:// and
 * https:// are ever linked: a bare `javascript:`, `data:` or `file:` stays
 * text. Code, existing links and link references are left alone. Trailing
 * punctuation that ends a sentence (".", ",", ")" without its "(") is not
 * part of the address.
 */
import type { Link, Parent, PhrasingContent, Root, Text } from "mdast";

const URL_RE = /\bhttps?:\/\/[^\s<>"]+/gi;

/** The address without the sentence punctuation that follows it. */
export function trimUrl(raw: string): string {
  let url = raw;
  for (;;) {
    const last = url.at(-1);
    if (last && ".,;:!?'*_~".includes(last)) url = url.slice(0, -1);
    else if (last === ")" && (url.match(/\(/g)?.length ?? 0) < (url.match(/\)/g)?.length ?? 0)) {
      url = url.slice(0, -1);
    } else return url;
  }
}

/** `text` split into text and link pieces, or undefined when it holds no address. */
export function splitUrls(text: string): (Text | Link)[] | undefined {
  const pieces: (Text | Link)[] = [];
  let at = 0;
  for (const match of text.matchAll(URL_RE)) {
    const url = trimUrl(match[0]);
    // "http://" alone is not an address.
    if (!/^https?:\/\/[^/?#\s]+/i.test(url)) continue;
    const start = match.index;
    if (start > at) pieces.push({ type: "text", value: text.slice(at, start) });
    pieces.push({ type: "link", url, children: [{ type: "text", value: url }] });
    at = start + url.length;
  }
  if (pieces.length === 0) return undefined;
  if (at < text.length) pieces.push({ type: "text", value: text.slice(at) });
  return pieces;
}

function walk(node: Parent): void {
  const next: typeof node.children = [];
  for (const child of node.children) {
    if (child.type === "text") {
      const split = splitUrls(child.value);
      if (split) next.push(...(split as PhrasingContent[]));
      else next.push(child);
      continue;
    }
    if (child.type !== "link" && child.type !== "linkReference" && "children" in child) {
      walk(child as Parent);
    }
    next.push(child);
  }
  node.children = next;
}

export function remarkLinkify() {
  return (tree: Root) => walk(tree);
}
