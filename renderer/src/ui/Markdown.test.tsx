import fc from "fast-check";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { splitUrls, trimUrl } from "./linkify.js";
import { Markdown } from "./Markdown.js";

const html = (text: string) => renderToStaticMarkup(<Markdown text={text} />);

describe("message text", () => {
  it("renders the markdown subset", () => {
    expect(html("**bold** and *em* and `code`")).toContain("<strong>bold</strong>");
    expect(html("[site](https://example.com)")).toContain(
      '<a href="https://example.com" target="_blank" rel="noreferrer noopener">site</a>',
    );
  });

  it("links bare http and https addresses, without the punctuation after them", () => {
    expect(html("see https://example.com/a?b=1.")).toContain(
      '<a href="https://example.com/a?b=1" target="_blank" rel="noreferrer noopener">https://example.com/a?b=1</a>.',
    );
    expect(html("(http://example.org/x)")).toContain('href="http://example.org/x"');
    expect(html("wiki https://en.wikipedia.org/wiki/Rose_(plant), ok")).toContain(
      'href="https://en.wikipedia.org/wiki/Rose_(plant)"',
    );
    // Inside code an address stays code.
    expect(html("`https://example.com`")).not.toContain("<a");
  });

  it("never links other schemes, bare or written as links", () => {
    for (const text of [
      "javascript:alert(1)",
      "run javascript://example.com/%0Aalert(1)",
      "data:text/html,<b>hi</b>",
      "file:///etc/passwd",
      "[x](javascript:alert(1))",
    ]) {
      expect(html(text)).not.toMatch(/href="(?!https?:)/);
    }
  });

  it("gives every paragraph its own direction, so right-to-left text reads right to left", () => {
    expect(html("שלום לכולם")).toContain('<p dir="auto">');
  });

  it("never renders raw HTML or script URLs, and drops elements outside the subset", () => {
    const out = html(
      "<img src=x onerror=alert(1)> <script>alert(1)</script> [x](javascript:alert(1)) [y](data:text/html,hi) ![i](https://e.com/i.png) # Heading",
    );
    expect(out).not.toMatch(/<img|<script|onerror|javascript:|data:text|<h1/i);
    expect(out).toContain("<span>x</span>");
  });
});

describe("bare address detection", () => {
  it("keeps every character of the text, in order, and links only http(s)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.webUrl(),
            fc.constantFrom("javascript:alert(1)", "http://", "https://x.y).", " ", "\n"),
          ),
        ),
        (parts) => {
          const text = parts.join("");
          const pieces = splitUrls(text);
          if (!pieces) return;
          const joined = pieces
            .map((p) => (p.type === "text" ? p.value : (p.children[0] as { value: string }).value))
            .join("");
          expect(joined).toBe(text);
          for (const p of pieces) if (p.type === "link") expect(p.url).toMatch(/^https?:\/\/\S/i);
        },
      ),
    );
  });

  it("trims only trailing sentence punctuation", () => {
    expect(trimUrl("https://a.b/c).")).toBe("https://a.b/c");
    expect(trimUrl("https://a.b/(c)")).toBe("https://a.b/(c)");
  });
});
