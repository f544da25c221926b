/**
 * Message text: a small markdown subset (emphasis, code, links, lists,
 * quotes), never raw HTML. react-markdown builds React elements (no
 * innerHTML); elements outside the subset are unwrapped to their text, and
 * links are limited to http(s) and mailto and open outside the app. Bare
 * http(s) addresses are linked (linkify.ts). The text's direction is its own
 * (dir="auto"): Hebrew and Arabic read right to left, each paragraph by its
 * first strong character.
 */
import ReactMarkdown, { defaultUrlTransform } from "react-markdown";
import { remarkLinkify } from "./linkify.js";

const PLUGINS = [remarkLinkify];

const ALLOWED = [
  "p",
  "strong",
  "em",
  "del",
  "code",
  "pre",
  "a",
  "ul",
  "ol",
  "li",
  "blockquote",
  "br",
];

function safeUrl(url: string): string {
  const cleaned = defaultUrlTransform(url);
  return /^(https?:|mailto:)/i.test(cleaned) ? cleaned : "";
}

export function Markdown({ text }: { text: string }) {
  return (
    <div className="md" dir="auto">
      <ReactMarkdown
        remarkPlugins={PLUGINS}
        allowedElements={ALLOWED}
        unwrapDisallowed
        skipHtml
        urlTransform={safeUrl}
        components={{
          p: ({ children }) => <p dir="auto">{children}</p>,
          li: ({ children }) => <li dir="auto">{children}</li>,
          a: ({ href, children }) =>
            href ? (
              <a href={href} target="_blank" rel="noreferrer noopener">
                {children}
              </a>
            ) : (
              <span>{children}</span>
            ),
        }}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}
