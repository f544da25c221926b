/**
 * Issue 16, finding 11: what `npm run dist` packages is a release renderer,
 * never the test build `npm test` leaves in renderer/dist.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  filesWithTestHooks,
  prepareReleaseRenderer,
  TestHooksInReleaseError,
} from "../scripts/release-renderer.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), "grove-release-"));
  dirs.push(d);
  return d;
};

describe("release renderer", () => {
  it("is built without test hooks even when the environment asks for them", async () => {
    const out = temp();
    const previous = process.env.GROVE_TEST_HOOKS;
    process.env.GROVE_TEST_HOOKS = "1"; // as npm test leaves it
    try {
      await prepareReleaseRenderer(out);
    } finally {
      process.env.GROVE_TEST_HOOKS = previous;
    }
    expect(filesWithTestHooks(out)).toEqual([]);
    expect(readFileSync(join(out, "index.html"), "utf8")).toContain("/app/assets/");
  });

  it("finds a hook in any packaged file, and leaves source maps (not packaged) alone", () => {
    const dir = temp();
    mkdirSync(join(dir, "assets"));
    writeFileSync(join(dir, "assets", "index.js"), "globalThis.groveClient=c;");
    writeFileSync(join(dir, "assets", "index.js.map"), '{"sourcesContent":["groveClient"]}');
    writeFileSync(join(dir, "index.html"), "<html></html>");
    expect(filesWithTestHooks(dir)).toEqual(["assets/index.js"]);
    expect(new TestHooksInReleaseError(["a.js"]).code).toBe("TEST_HOOKS_IN_RELEASE");
  });

  it("npm run dist goes through the release build, and installers leave source maps out", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(pkg.scripts.dist).toBe("tsx scripts/dist.ts");
    const builder = parse(
      readFileSync(new URL("../electron-builder.yml", import.meta.url), "utf8"),
    ) as { files: string[] };
    expect(builder.files).toContain("renderer/dist/**/*");
    expect(builder.files).toContain("!**/*.map");
  });
});
