import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Markdown } from "./Markdown.js";

const html = (text: string) => renderToStaticMarkup(<Markdown text={text} />);

describe("message text", () => {
  it("renders the markdown subset", () => {
    expect(html("**bold** and *em* and `code`")).toContain("<strong>bold</strong>");
    expect(html("see https://example.com")).not.toContain("<a"); // bare URLs stay text (no GFM)
    expect(html("[site](https://example.com)")).toContain(
      '<a href="https://example.com" target="_blank" rel="noreferrer noopener">site</a>',
    );
  });

  it("never renders raw HTML or script URLs, and drops elements outside the subset", () => {
    const out = html(
      "<img src=x onerror=alert(1)> <script>alert(1)</script> [x](javascript:alert(1)) [y](data:text/html,hi) ![i](https://e.com/i.png) # Heading",
    );
    expect(out).not.toMatch(/<img|<script|onerror|javascript:|data:text|<h1/i);
    expect(out).toContain("<span>x</span>");
  });
});
