/**
 * electron-builder.yml against the JSON schema electron-builder itself
 * ships (app-builder-lib/scheme.json), plus the settings Grove relies on.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = new URL("../../", import.meta.url);
const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve("app-builder-lib/scheme.json"), "utf8"));
const config = parse(readFileSync(new URL("electron-builder.yml", ROOT), "utf8"));

function validator() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  return ajv.compile(schema);
}

describe("electron-builder.yml", () => {
  it("is valid against electron-builder's own schema", () => {
    const validate = validator();
    const ok = validate(config);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it("is checked for real: a broken config fails the schema", () => {
    const validate = validator();
    expect(validate({ ...config, protocols: [{ name: "x" }] })).toBe(false);
    expect(validate({ ...config, notAnOption: true })).toBe(false);
  });

  it("registers grove:// and builds the installers for each OS", () => {
    expect(config).toMatchObject({ appId: "app.grove.desktop", productName: "Grove" });
    expect(config.protocols).toEqual([{ name: "Grove link", schemes: ["grove"] }]);
    expect(config.linux.target).toEqual(["AppImage", "deb"]);
    expect(config.mac).toMatchObject({ target: ["dmg"], hardenedRuntime: true });
    expect(existsSync(new URL(config.mac.entitlements, ROOT))).toBe(true);
    expect(config.win.target).toEqual(["nsis"]);
  });

  it("packages the built renderer and shell and starts from the shell's main", () => {
    expect(config.files).toEqual(
      expect.arrayContaining(["electron/dist/**/*", "renderer/dist/**/*"]),
    );
    expect(config.extraMetadata.main).toBe("electron/dist/main.cjs");
    expect(config.electronFuses).toMatchObject({ runAsNode: false, onlyLoadAppFromAsar: true });
  });
});
