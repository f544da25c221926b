/**
 * The sync engine knows its paths only by the interfaces in transport.ts:
 * which relay link and which direct mesh it runs is decided where it is
 * built (core/sync/links.ts), so a new path needs no change to the engine.
 */
import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";

function importsOf(path: string): string[] {
  const source = readFileSync(new URL(`../${path}`, import.meta.url), "utf8");
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

describe("the sync engine's seams", () => {
  it("imports no concrete path: not the relay transport, the direct transport or a mesh", () => {
    const concrete = /(relay-transport|direct-transport|webrtc-mesh|links)\.js$/;
    const imports = importsOf("core/sync/sync-engine.ts");
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((i) => concrete.test(i))).toEqual([]);
  });

  it("the real paths implement the interfaces the engine names", () => {
    const relay = readFileSync(new URL("../core/sync/relay-transport.ts", import.meta.url), "utf8");
    const direct = readFileSync(
      new URL("../core/sync/direct-transport.ts", import.meta.url),
      "utf8",
    );
    // The compiler checks the shapes; this keeps the `implements` that makes it check them.
    expect(relay).toMatch(/class RelayTransport\b[^{]*\bimplements RelayPath\b/);
    expect(direct).toMatch(/class DirectTransport\b[^{]*\bimplements DirectPath\b/);
  });
});
