/**
 * Tools are plug-ins: each folder under renderer/src/tools is one tool the
 * registry lists (and the registry lists nothing else), and the client model
 * (renderer/src/model) imports no tool, so a new tool is a new folder and
 * its line in the registry. Also the model's size rule: no file in
 * renderer/src/model over 350 lines. (No catch there drops what it caught:
 * test/no-dropped-errors.test.ts reads every catch of production code.)
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { TOOL_PLUGINS } from "../renderer/src/tools/registry.js";
import { TOOLS } from "../renderer/src/ui/route.js";

const root = resolve(import.meta.dirname, "..");
const toolsDir = join(root, "renderer/src/tools");
const modelDir = join(root, "renderer/src/model");

/** Every relative import of a TypeScript file, resolved to a path from the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:import|export)[^"';]*?from\s+"([^"]+)"/g)].map(
    (m) => m[1] ?? "",
  );
  const dynamic = [...text.matchAll(/import\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1] ?? "");
  return [...specifiers, ...dynamic]
    .filter((s) => s.startsWith("."))
    .map((s) => relative(root, resolve(file, "..", s)));
}

const modelFiles = readdirSync(modelDir)
  .filter((f) => /\.tsx?$/.test(f))
  .map((f) => join(modelDir, f));

/** core's tool modules: one per tool; the shared ones (records, signatures, search) are not. */
const CORE_TOOL_MODULES =
  /^core\/space\/tools\/(chat|chat-index|chat-signature|discussion|notes|note-rich|tasks|calendar|sketch|files)\.js$/;

describe("tools as plug-ins", () => {
  it("the registry lists every tool folder, once, each under its folder's name", () => {
    const folders = readdirSync(toolsDir).filter((f) => statSync(join(toolsDir, f)).isDirectory());
    const ids = TOOL_PLUGINS.map((t) => t.id);
    expect(ids).toEqual(["chat", "discussion", "notes", "tasks", "calendar", "sketch", "files"]);
    expect([...ids].sort()).toEqual([...folders].sort());
    expect(new Set(TOOL_PLUGINS.map((t) => t.label)).size).toBe(TOOL_PLUGINS.length);
    // The tabs and routes come from the registry, with the members' tab after the tools.
    expect(TOOLS).toEqual([...TOOL_PLUGINS.map((t) => t.label), "Members"]);
  });

  it("a tool's folder holds its plug-in, model and view, and the plug-in names its own folder", () => {
    for (const plugin of TOOL_PLUGINS) {
      const folder = join(toolsDir, plugin.id);
      const files = readdirSync(folder);
      expect(files).toEqual(expect.arrayContaining(["index.ts", "model.ts", "view.tsx"]));
      // A tool reaches no other tool: what it shares with them goes through renderer/src/model.
      for (const file of files) {
        for (const target of importsOf(join(folder, file))) {
          if (!target.startsWith("renderer/src/tools/")) continue;
          expect(target, `${plugin.id}/${file} imports ${target}`).toMatch(
            new RegExp(`^renderer/src/tools/${plugin.id}/`),
          );
        }
      }
    }
  });

  it("the client model imports no tool: neither a plug-in folder nor core's per-tool modules", () => {
    const handle = join(modelDir, "space-handle.ts");
    expect(modelFiles).toContain(handle);
    for (const file of modelFiles) {
      for (const target of importsOf(file)) {
        const where = `${relative(root, file)} imports ${target}`;
        expect(target.startsWith("renderer/src/tools/"), where).toBe(false);
        expect(CORE_TOOL_MODULES.test(target), where).toBe(false);
      }
    }
    // The check itself sees imports (a rule that reads nothing passes everything).
    expect(importsOf(join(toolsDir, "chat/model.ts"))).toContain("core/space/tools/chat.js");
    expect(importsOf(join(toolsDir, "registry.ts"))).toContain("renderer/src/tools/chat/index.js");
  });

  it("no file of the client model is longer than 350 lines", () => {
    for (const file of modelFiles) {
      const lines = readFileSync(file, "utf8").split("\n").length;
      expect(lines, relative(root, file)).toBeLessThanOrEqual(350);
    }
  });
});
