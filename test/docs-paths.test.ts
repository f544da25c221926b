/**
 * The docs a newcomer reads name files to open; each named file must exist,
 * so a rename or a removal that forgets the page fails here (decision 91).
 * Checked: every repo path (`core/...`, `relay/...`, `test/...`), and every
 * bare file name (`mesh-room.ts`), which must be the name of some file in
 * the tree. Globs (`core/**`, `node-*.ts`) name a rule, not a file.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const ROOT = new URL("..", import.meta.url).pathname;
const DOCS = ["docs/architecture.md", "core/wire/PROTOCOL.md", "README.md"];
const FOLDERS = [
  "core",
  "relay",
  "renderer",
  "electron",
  "test",
  "bench",
  "scripts",
  "docs",
  ".ci",
];

/**
 * Build output the docs point at: not in the tree until a build makes it,
 * and git-ignored (checked below), so never committed stale.
 */
const BUILT = ["electron/dist", "renderer/dist", "test/artifacts/"];

/** Paths into the repo's folders, not part of a longer path, package or URL (`../core/x` is a link). */
const PATH = new RegExp(
  `(?<![\\w/.:@-])((?:${FOLDERS.map((f) => f.replace(".", "\\.")).join("|")})/[\\w./*@-]*)`,
  "g",
);
/** A file name on its own: `envelope-log.ts`, `Chat.tsx`. */
const BARE = /(?<![\w/.*-])([\w-]+\.tsx?)(?![\w/*-])/g;

function namedPaths(text: string): string[] {
  return [...text.matchAll(PATH)]
    .map((m) => m[1]!.replace(/[.,;:]+$/, ""))
    .filter((p) => !p.includes("*"));
}

function namedFiles(text: string): string[] {
  return [...text.matchAll(BARE)].map((m) => m[1]!);
}

/** Every file name in the tree (node_modules and build output aside). */
function fileNames(): Set<string> {
  const names = new Set<string>(readdirSync(ROOT));
  const walk = (dir: string) => {
    for (const entry of readdirSync(`${ROOT}${dir}`, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!["node_modules", "dist", "artifacts", "results"].includes(entry.name)) {
          walk(`${dir}/${entry.name}`);
        }
      } else names.add(entry.name);
    }
  };
  for (const folder of FOLDERS) if (existsSync(`${ROOT}${folder}`)) walk(folder);
  return names;
}

describe("the docs name only files that exist", () => {
  const names = fileNames();

  it("finds paths and file names the way a reader sees them", () => {
    const text = [
      "`core/sync/mesh-room.ts`, see [it](../core/wire/PROTOCOL.md) and relay/.",
      "participant D as core/sync/direct-transport.ts + envelope-log.ts",
      "`core/**/node-*.ts`, wss://relay.example/test/x, a `dom-*.ts` file",
    ].join("\n");
    expect(namedPaths(text)).toEqual([
      "core/sync/mesh-room.ts",
      "relay/",
      "core/sync/direct-transport.ts",
    ]);
    expect(namedFiles(text)).toEqual(["envelope-log.ts"]);
  });

  it("build output it may name is git-ignored", () => {
    const ignored = readFileSync(`${ROOT}.gitignore`, "utf8").split("\n");
    for (const built of BUILT) {
      const last = built.replace(/\/$/, "").split("/").pop();
      expect(
        ignored.some((line) => line === built || line === `${last}/`),
        built,
      ).toBe(true);
    }
  });

  for (const doc of DOCS) {
    it(doc, () => {
      const text = readFileSync(`${ROOT}${doc}`, "utf8");
      const paths = namedPaths(text);
      expect(paths.length, "a page that names no path checks nothing").toBeGreaterThan(0);
      const missingPaths = [...new Set(paths)].filter(
        (p) => !existsSync(`${ROOT}${p}`) && !BUILT.some((b) => p.startsWith(b)),
      );
      const missingFiles = [...new Set(namedFiles(text))].filter((f) => !names.has(f));
      expect({ missingPaths, missingFiles }).toEqual({ missingPaths: [], missingFiles: [] });
    });
  }
});
