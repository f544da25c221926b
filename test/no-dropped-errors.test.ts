/**
 * Errors are never dropped in production code: every promise rejection
 * handler and every catch clause either handles the failure or counts and
 * logs it with a reason (core: recent-errors.ts or a typed error event; the
 * relay: its logger). Biome forbids empty blocks; this test also catches what
 * a block rule cannot see: `.catch(() => undefined)`, `.catch(noop)`, a
 * `.then(ok, () => {})`, and a catch clause holding only a comment.
 *
 * It reads the sources with the TypeScript parser, so strings and comments
 * that merely mention such a handler do not count.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, test } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const PRODUCTION = ["core", "relay", "electron", "renderer/src"];

/**
 * Files of other scopes still being cleaned when this test was written: each
 * must still hold a dropped error (a stale entry fails), so the list only shrinks.
 */
const PENDING = new Set<string>([]);

/** `whenSettled` is the one sanctioned "ignore": its caller awaits the promise itself. */
const ALLOWED = new Set(["core/diagnostics/recent-errors.ts:whenSettled"]);

interface Drop {
  file: string;
  line: number;
  what: string;
}

/** A function that does nothing: `() => {}`, `() => undefined`, `function () {}`, `() => void 0`. */
function doesNothing(node: ts.Node): boolean {
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isFunctionDeclaration(node)) {
    const body = node.body;
    if (!body) return false;
    if (ts.isBlock(body)) return body.statements.length === 0;
    return isNothing(body);
  }
  return false;
}

function isNothing(expr: ts.Expression): boolean {
  const e = ts.isParenthesizedExpression(expr) ? expr.expression : expr;
  if (ts.isIdentifier(e)) return e.text === "undefined";
  if (e.kind === ts.SyntaxKind.NullKeyword) return true;
  if (ts.isVoidExpression(e))
    return ts.isLiteralExpression(e.expression) || isNothing(e.expression);
  return false;
}

/** Names bound to a function that does nothing (`const noop = () => {}`, `function noop() {}`). */
function nothingNames(source: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node) => {
    if (ts.isFunctionDeclaration(node) && node.name && doesNothing(node)) names.add(node.name.text);
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      doesNothing(node.initializer)
    ) {
      names.add(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

function enclosingFunction(node: ts.Node): string {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n)) && n.name) {
      return n.name.getText();
    }
  }
  return "";
}

/** Every dropped error in one file's text. `nothing` names do-nothing functions from anywhere. */
function findDrops(file: string, text: string, nothing: ReadonlySet<string> = new Set()): Drop[] {
  const kind = file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const local = nothingNames(source);
  const silent = (arg: ts.Expression | undefined) =>
    arg !== undefined &&
    (doesNothing(arg) ||
      (ts.isIdentifier(arg) &&
        (arg.text === "noop" || local.has(arg.text) || nothing.has(arg.text))));
  const drops: Drop[] = [];
  const add = (node: ts.Node, what: string) => {
    if (ALLOWED.has(`${file}:${enclosingFunction(node)}`)) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    drops.push({ file, line, what });
  };
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      if (method === "catch" && silent(node.arguments[0])) add(node, ".catch that does nothing");
      if (method === "then" && silent(node.arguments[1]))
        add(node, ".then rejection that does nothing");
    }
    if (ts.isCatchClause(node) && node.block.statements.length === 0) {
      add(node, "catch clause that does nothing");
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return drops;
}

function productionFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...productionFiles(path));
    else if (/\.tsx?$/.test(entry.name) && !/\.(test|spec)\.tsx?$/.test(entry.name)) {
      out.push(path);
    }
  }
  return out;
}

describe("the dropped-error detector", () => {
  const drops = (text: string, nothing?: Set<string>) =>
    findDrops("x.ts", text, nothing).map((d) => d.what);

  test("finds handlers that do nothing", () => {
    expect(drops("p.catch(() => {});")).toEqual([".catch that does nothing"]);
    expect(drops("p.catch(() => undefined);")).toEqual([".catch that does nothing"]);
    expect(drops("p.catch((_e) => void 0);")).toEqual([".catch that does nothing"]);
    expect(drops("p.catch(function () {});")).toEqual([".catch that does nothing"]);
    expect(drops("p.catch(noop);")).toEqual([".catch that does nothing"]);
    expect(drops("const ignore = () => {};\np.catch(ignore);")).toEqual([
      ".catch that does nothing",
    ]);
    expect(drops("p.catch(swallow);", new Set(["swallow"]))).toEqual([".catch that does nothing"]);
    expect(drops("p.then(ok, () => {});")).toEqual([".then rejection that does nothing"]);
    expect(drops("try { f(); } catch {}")).toEqual(["catch clause that does nothing"]);
    expect(drops("try { f(); } catch (e) {\n  // fine, really\n}")).toEqual([
      "catch clause that does nothing",
    ]);
  });

  test("lets handling, counting and logging through", () => {
    expect(drops('p.catch((err) => log.warn({ err }, "resync failed"));')).toEqual([]);
    expect(drops('p.catch(noted("SYNC_REQUEST", "asking members"));')).toEqual([]);
    expect(drops("p.catch(recordError);")).toEqual([]);
    expect(drops("p.then(() => undefined);")).toEqual([]);
    expect(drops("try { f(); } catch { return false; }")).toEqual([]);
    expect(drops('const s = "p.catch(() => {})"; // p.catch(() => {})')).toEqual([]);
  });

  test("reports the line of each drop", () => {
    const found = findDrops("x.ts", "ok();\n\np.catch(() => {});\n");
    expect(found).toEqual([{ file: "x.ts", line: 3, what: ".catch that does nothing" }]);
  });
});

describe("production code", () => {
  const files = PRODUCTION.flatMap(productionFiles).map((path) => ({
    path: relative(ROOT, join(ROOT, path)).split("\\").join("/"),
    text: readFileSync(join(ROOT, path), "utf8"),
  }));
  const nothing = new Set<string>();
  for (const { path, text } of files) {
    const kind = path.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, kind);
    for (const name of nothingNames(source)) nothing.add(name);
  }
  const drops = files.flatMap(({ path, text }) => findDrops(path, text, nothing));

  test("reads the whole production tree", () => {
    expect(files.length).toBeGreaterThan(100);
  });

  test("drops no error: every catch handles, or counts and logs with a reason", () => {
    const left = drops
      .filter((d) => !PENDING.has(d.file))
      .map((d) => `${d.file}:${d.line} ${d.what}`);
    expect(left).toEqual([]);
  });

  test("every file still pending holds a drop (remove it from PENDING once clean)", () => {
    const stale = [...PENDING].filter((file) => !drops.some((d) => d.file === file));
    expect(stale).toEqual([]);
  });
});
