/**
 * Message text: a small markdown subset (emphasis, code, links, lists,
 * quotes), never raw HTML. react-markdown builds React elements (no
 * innerHTML); elements outside the subset are unwrapped to their text, and
 * links are limited to http(s) and mailto and open outside the app.
 */
import ReactMarkdown, { defaultUrlTransform } from "react-markdown";

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
    <div className="md">
      <ReactMarkdown
        allowedElements={ALLOWED}
        unwrapDisallowed
        skipHtml
        urlTransform={safeUrl}
        components={{
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
