import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PACKAGED_APP_URL, packagedFile } from "../../electron/packaged-files.js";

const ROOT = "/opt/Grove/resources/app.asar/renderer/dist";

describe("packaged renderer files", () => {
  it("maps app:// paths to files under the renderer folder, client routes to index.html", () => {
    expect(packagedFile(ROOT, PACKAGED_APP_URL)).toEqual({
      kind: "file",
      path: join(ROOT, "index.html"),
      type: "text/html; charset=utf-8",
    });
    expect(packagedFile(ROOT, `${PACKAGED_APP_URL}join#secret`)).toMatchObject({
      path: join(ROOT, "index.html"),
    });
    expect(packagedFile(ROOT, `${PACKAGED_APP_URL}assets/index-abc.js`)).toEqual({
      kind: "file",
      path: join(ROOT, "assets", "index-abc.js"),
      type: "text/javascript; charset=utf-8",
    });
  });

  it("refuses other origins, paths outside /app/, traversal however spelled, and unknown types", () => {
    for (const url of [
      "app://other/app/index.html",
      "https://grove/app/index.html",
      "app://grove/index.html",
      "app://grove/app/%2e%2e/%2e%2e/secret.js",
      "app://grove/app/..%2f..%2fsecret.js",
      "app://grove/app/assets/%00.js",
      "app://grove/app/assets/run.sh",
      "app://grove/app/%E0%A4%A.js",
      "not a url",
    ]) {
      expect(packagedFile(ROOT, url).kind, url).toBe("not-found");
    }
  });

  it("never answers with a file outside the folder, for any path", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (path) => {
        const answer = packagedFile(ROOT, `${PACKAGED_APP_URL}${path}`);
        if (answer.kind === "file") expect(answer.path.startsWith(`${ROOT}/`)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
