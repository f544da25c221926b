/**
 * The shell's seams: only main.ts and preload.ts import Electron at run
 * time (every other module takes Electron's API as an argument and imports
 * only its types), no shell module imports the relay or core, and the
 * bundled preload requires nothing but "electron".
 */
import { readdirSync, readFileSync } from "node:fs";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const DIR = new URL("../../electron/", import.meta.url);
const modules = readdirSync(DIR).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
const source = (f: string) => readFileSync(new URL(f, DIR), "utf8");
const importsOf = (text: string) =>
  [...text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+"([^"]+)";/gms)].map((m) => ({
    typeOnly: Boolean(m[1]),
    from: m[2]!,
  }));

describe("shell module boundaries", () => {
  it.each(modules.filter((f) => f !== "main.ts" && f !== "preload.ts"))(
    "%s imports Electron for its types only",
    (file) => {
      const runtime = importsOf(source(file)).filter((i) => !i.typeOnly);
      expect(runtime.map((i) => i.from)).not.toContain("electron");
    },
  );

  it.each(modules)("%s imports nothing from relay/, core/ or renderer/", (file) => {
    for (const { from } of importsOf(source(file))) {
      expect(from).not.toMatch(/(^|\/)(relay|core|renderer)\//);
    }
  });

  it("bundles the sandboxed preload into one file that requires only electron", async () => {
    const out = await build({
      entryPoints: [new URL("preload.ts", DIR).pathname],
      bundle: true,
      platform: "node",
      format: "cjs",
      external: ["electron"],
      write: false,
      logLevel: "silent",
    });
    const code = out.outputFiles[0]!.text;
    const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(["electron"]));
  });
});
