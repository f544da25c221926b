/**
 * Runtime boundaries (decision 93), read from the tree: shared code loads
 * neither DOM-only nor Node-only modules or globals; the renderer loads no
 * Node-only module; Node code (relay/, electron/, `node-*.ts`) loads no
 * DOM-only one; the relay imports core's shared and Node code only; core
 * imports nothing above it. The first block shows on made-up files that each
 * rule does refuse what it should.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  boundaryViolations,
  globalsUsed,
  importsOf,
  packageRuntime,
  runtimeOf,
} from "./runtime-boundaries.js";

const ROOT = new URL("..", import.meta.url).pathname;

/** Every .ts/.tsx file under the given folders, repo-relative. */
function sources(...folders: string[]): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(`${ROOT}${dir}`, { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && entry.name !== "dist") walk(path);
      } else if (/\.tsx?$/.test(entry.name)) {
        files.set(path, readFileSync(`${ROOT}${path}`, "utf8"));
      }
    }
  };
  for (const folder of folders) walk(folder);
  return files;
}

describe("the rule, on made-up files", () => {
  const check = (files: Record<string, string>) =>
    boundaryViolations(new Map(Object.entries(files)));

  it("reads the runtime from the file's name and folder", () => {
    expect(runtimeOf("core/store/dom-idb-store.ts")).toBe("dom");
    expect(runtimeOf("core/store/node-file-store.ts")).toBe("node");
    expect(runtimeOf("core/store/store.ts")).toBe("shared");
    expect(runtimeOf("renderer/src/model/client.ts")).toBe("shared");
    expect(runtimeOf("renderer/src/model/dom-platform.ts")).toBe("dom");
    expect(runtimeOf("renderer/src/ui/App.tsx")).toBe("dom");
    expect(runtimeOf("relay/server.ts")).toBe("node");
    expect(runtimeOf("electron/main.ts")).toBe("node");
    expect(runtimeOf("electron/shell-api.ts")).toBe("shared");
    expect(runtimeOf("core/store/store.test.ts")).toBeUndefined();
    expect(runtimeOf("test/sync-harness.ts")).toBeUndefined();
  });

  it("reads imports with the TypeScript parser, type-only ones marked", () => {
    const text = [
      'import type { A } from "./a.js";',
      'import { type B, c } from "./b.js";',
      'export { d } from "./d.js";',
      'export type { E } from "./e.js";',
      "// import { f } from './commented-out.js';",
      "const s = \"import { g } from './in-a-string.js'\";",
      'const h = await import("./h.js");',
    ].join("\n");
    expect(importsOf("core/x.ts", text).map((i) => [i.specifier, i.typeOnly])).toEqual([
      ["./a.js", true],
      ["./b.js", false],
      ["./d.js", false],
      ["./e.js", true],
      ["./h.js", false],
    ]);
  });

  it("finds run-time uses of a runtime's globals, not names, types or shadowed ones", () => {
    const text = [
      "const a = window.innerWidth;",
      "const b = { window: 1, document: 2 }.window;",
      "function f(location: { host: string }) { return location.host; }",
      "let n: Navigator | undefined;",
      "const l = globalThis.navigator;",
      "process.exit(1);",
    ].join("\n");
    const found = globalsUsed("core/x.ts", text, [
      "window",
      "document",
      "location",
      "navigator",
      "Navigator",
      "process",
    ]);
    expect(found).toEqual([
      { name: "window", line: 1 },
      { name: "process", line: 6 },
    ]);
  });

  it("classifies packages, and knows Node's built-in modules", () => {
    expect(packageRuntime("node:fs/promises")).toBe("node");
    expect(packageRuntime("crypto")).toBe("node");
    expect(packageRuntime("lib0/observable")).toBe("shared");
    expect(packageRuntime("@tiptap/react")).toBe("dom");
    expect(packageRuntime("left-pad")).toBeUndefined();
  });

  it("refuses each crossing", () => {
    const files = {
      "core/a/dom-thing.ts": 'import { openDB } from "idb";\nexport const x = openDB;',
      "core/a/node-thing.ts": 'import { readFile } from "node:fs/promises";\nexport { readFile };',
      "core/a/shared.ts": [
        'import { x } from "./dom-thing.js";',
        'import { readFile } from "./node-thing.js";',
        'import type { T } from "./dom-thing.js";',
        'import * as Y from "yjs";',
        'import "left-pad";',
        "export const n = navigator.onLine;",
      ].join("\n"),
      "renderer/src/ui/View.tsx": [
        'import { readFile } from "../../../core/a/node-thing.js";',
        'import { w } from "../../../electron/window.js";',
        'import type { GroveShell } from "../../../electron/shell-api.js";',
        'import { x } from "../../../core/a/dom-thing.js";',
      ].join("\n"),
      "relay/bad.ts": [
        'import { x } from "../core/a/dom-thing.js";',
        'import { ui } from "../renderer/src/ui/View.js";',
        'import { readFile } from "../core/a/node-thing.js";',
        'import { missing } from "../core/a/gone.js";',
      ].join("\n"),
      "core/a/upward.ts": 'import { s } from "../../relay/bad.js";',
      "electron/shell-api.ts": "export const CHANNELS = {};",
      "electron/window.ts": "export const w = 1;",
    };
    expect(check(files).sort()).toEqual(
      [
        "core/a/shared.ts:1: shared code imports dom-only core/a/dom-thing.ts",
        "core/a/shared.ts:2: shared code imports node-only core/a/node-thing.ts",
        'core/a/shared.ts:5: package "left-pad" is in no list of test/runtime-boundaries.ts PACKAGES',
        "core/a/shared.ts:6: shared code uses the global navigator",
        "renderer/src/ui/View.tsx:1: dom code imports node-only core/a/node-thing.ts",
        "renderer/src/ui/View.tsx:2: the renderer imports electron/window.ts; only electron/shell-api.ts",
        "relay/bad.ts:1: node code imports dom-only core/a/dom-thing.ts",
        "relay/bad.ts:2: relay/ code imports renderer/src/ui/View.tsx (never from renderer/)",
        'relay/bad.ts:4: "../core/a/gone.js" names no file',
        "core/a/upward.ts:1: core/ code imports relay/bad.ts (never from relay/)",
      ].sort(),
    );
  });
});

describe("the tree keeps its runtime boundaries", () => {
  const files = sources("core", "renderer/src", "relay", "electron");
  const exists = (path: string) => files.has(path) || existsSync(`${ROOT}${path}`);

  it("reads the whole tree", () => {
    // A walk that found nothing would pass everything.
    expect(files.has("core/store/dom-idb-store.ts")).toBe(true);
    expect(files.has("relay/connection.ts")).toBe(true);
    expect(files.has("renderer/src/model/client.ts")).toBe(true);
    expect([...files.keys()].filter((p) => runtimeOf(p)).length).toBeGreaterThan(200);
  });

  it("no file loads a module or global of a runtime it may not run in", () => {
    expect(boundaryViolations(files, exists)).toEqual([]);
  });
});
