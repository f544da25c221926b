/**
 * Runtime boundaries by file name (decision 93): which runtime each source
 * file may run in, read from its path, and what it imports, read with the
 * TypeScript compiler's parser (not patterns over text), so the test can say
 * "shared code imports no DOM-only module" and mean it.
 *
 * - In core/ and renderer/src/model/, a file named `dom-*.ts` is DOM-only (it
 *   needs IndexedDB, RTCPeerConnection, window...), `node-*.ts` Node-only, and
 *   every other file is shared: it runs in the browser and in Node.
 * - renderer/src/ outside the model is DOM-only (the React UI); relay/ and
 *   electron/ are Node-only, except electron/shell-api.ts (the shell's typed
 *   API and channel names, shared with the renderer).
 * - Tests (`*.test.ts`), declaration files and everything else (test/, bench/,
 *   scripts/) are harnesses, outside the rule.
 *
 * Type-only imports (`import type`) are erased before any runtime sees them,
 * so they cross boundaries freely; `import { type A }` is not erased under
 * verbatimModuleSyntax, so it counts.
 */
import { builtinModules } from "node:module";
import ts from "typescript";

export type Runtime = "shared" | "dom" | "node";

/** Runtime of a repo-relative path, or undefined when the path is outside the rule. */
export function runtimeOf(path: string): Runtime | undefined {
  if (!/\.tsx?$/.test(path) || path.endsWith(".d.ts") || /\.test\.tsx?$/.test(path)) {
    return undefined;
  }
  const base = path.slice(path.lastIndexOf("/") + 1);
  if (path.startsWith("core/") || path.startsWith("renderer/src/model/")) {
    if (base.startsWith("dom-")) return "dom";
    if (base.startsWith("node-")) return "node";
    return "shared";
  }
  if (path.startsWith("renderer/src/")) return "dom";
  if (path === "electron/shell-api.ts") return "shared";
  if (path.startsWith("relay/") || path.startsWith("electron/")) return "node";
  return undefined;
}

/** Which runtimes code of each runtime may load. */
const MAY_LOAD: Record<Runtime, readonly Runtime[]> = {
  shared: ["shared"],
  dom: ["shared", "dom"],
  node: ["shared", "node"],
};

/**
 * Every package production code imports, by the runtime it needs. A package
 * in none of these lists fails the test until someone says where it runs.
 */
export const PACKAGES: Record<Runtime, readonly string[]> = {
  shared: [
    "yjs",
    "lib0",
    "tweetnacl",
    "@noble/hashes",
    "libsodium-wrappers",
    "hash-wasm",
    "qrcode",
  ],
  dom: ["idb", "y-webrtc", "react", "react-dom", "react-markdown", "@tiptap/*", "mdast"],
  node: [
    "ws",
    "pg",
    "ioredis",
    "pino",
    "better-sqlite3",
    "nodemailer",
    "commander",
    "prom-client",
    "sirv",
    "electron",
    "esbuild",
  ],
};

/** `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

export function packageRuntime(specifier: string): Runtime | undefined {
  if (specifier.startsWith("node:") || builtinModules.includes(specifier)) return "node";
  const name = packageName(specifier);
  for (const runtime of ["shared", "dom", "node"] as const) {
    for (const listed of PACKAGES[runtime]) {
      if (listed === name) return runtime;
      if (listed.endsWith("/*") && name.startsWith(listed.slice(0, -1))) return runtime;
    }
  }
  return undefined;
}

export interface Import {
  specifier: string;
  /** Erased before run time: `import type`, `export type ... from`. */
  typeOnly: boolean;
  line: number;
}

/** The last file parsed: the import and global checks of one file share one parse. */
let lastParsed: { path: string; text: string; source: ts.SourceFile } | undefined;

function parse(path: string, text: string): ts.SourceFile {
  if (lastParsed?.path === path && lastParsed.text === text) return lastParsed.source;
  const kind = path.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, kind);
  lastParsed = { path, text, source };
  return source;
}

function lineOf(source: ts.SourceFile, node: ts.Node): number {
  return source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
}

/** Static imports and re-exports, `import x = require()`, `import()` and `require()`. */
export function importsOf(path: string, text: string): Import[] {
  const source = parse(path, text);
  const found: Import[] = [];
  const add = (spec: ts.Node | undefined, typeOnly: boolean, at: ts.Node) => {
    if (spec && ts.isStringLiteralLike(spec)) {
      found.push({ specifier: spec.text, typeOnly, line: lineOf(source, at) });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node.moduleSpecifier, node.importClause?.isTypeOnly ?? false, node);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly, node);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference)
    ) {
      add(node.moduleReference.expression, node.isTypeOnly, node);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const dynamic = callee.kind === ts.SyntaxKind.ImportKeyword;
      const required = ts.isIdentifier(callee) && callee.text === "require";
      if (dynamic || required) add(node.arguments[0], false, node);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Globals that exist only in a browser, and only in Node. */
export const GLOBALS: Record<"dom" | "node", readonly string[]> = {
  dom: [
    "window",
    "document",
    "navigator",
    "location",
    "localStorage",
    "sessionStorage",
    "indexedDB",
    "IDBKeyRange",
    "RTCPeerConnection",
    "customElements",
  ],
  node: ["process", "Buffer", "__dirname", "__filename", "require", "global", "setImmediate"],
};

/** Names the file itself declares (variables, parameters, functions, classes, imports). */
function declaredNames(source: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const bind = (name: ts.BindingName | undefined): void => {
    if (!name) return;
    if (ts.isIdentifier(name)) names.add(name.text);
    else
      for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isBindingElement(node)) {
      bind(node.name);
    } else if (
      (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) &&
      node.name !== undefined
    ) {
      names.add(node.name.text);
    } else if (ts.isImportClause(node) && node.name) names.add(node.name.text);
    else if (ts.isImportSpecifier(node) || ts.isNamespaceImport(node)) names.add(node.name.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

/** Whether an identifier is a name in its parent rather than a reference (`a.window`, `{ window: 1 }`). */
function isNameNotReference(id: ts.Identifier): boolean {
  const p = id.parent;
  return (
    (ts.isPropertyAccessExpression(p) && p.name === id) ||
    (ts.isPropertyAssignment(p) && p.name === id) ||
    (ts.isPropertyDeclaration(p) && p.name === id) ||
    (ts.isPropertySignature(p) && p.name === id) ||
    (ts.isMethodDeclaration(p) && p.name === id) ||
    (ts.isQualifiedName(p) && p.right === id) ||
    ts.isJsxAttribute(p) ||
    ts.isLabeledStatement(p)
  );
}

/** Run-time references to the given globals (type positions are skipped: they are erased). */
export function globalsUsed(
  path: string,
  text: string,
  globals: readonly string[],
): { name: string; line: number }[] {
  const source = parse(path, text);
  const declared = declaredNames(source);
  const wanted = new Set(globals.filter((g) => !declared.has(g)));
  const found: { name: string; line: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) {
      return;
    }
    if (ts.isIdentifier(node) && wanted.has(node.text) && !isNameNotReference(node)) {
      found.push({ name: node.text, line: lineOf(source, node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `../x/y.js` from `core/a/b.ts` -> the repo path of the file it names, if one exists. */
export function resolveRelative(
  from: string,
  specifier: string,
  exists: (path: string) => boolean,
): string | undefined {
  const dir = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") dir.pop();
    else if (part !== ".") dir.push(part);
  }
  const target = dir.join("/");
  const stem = target.replace(/\.(js|jsx|ts|tsx)$/, "");
  const candidates = [target, `${stem}.ts`, `${stem}.tsx`, `${target}/index.ts`];
  return candidates.find((c) => /\.tsx?$/.test(c) && exists(c)) ?? candidates.find(exists);
}

/** Folders a folder's code must never import from, whatever the runtimes. */
const NEVER: Record<string, readonly string[]> = {
  "core/": ["renderer/", "relay/", "electron/", "test/", "bench/", "scripts/"],
  "relay/": ["renderer/", "electron/", "test/", "bench/", "scripts/"],
  "renderer/": ["relay/", "test/", "bench/", "scripts/"],
  "electron/": ["renderer/", "relay/", "test/", "bench/", "scripts/"],
};

/**
 * Every boundary the given files break, one message each ("path:line: why").
 * `files` maps repo-relative paths to their text; only files under the rule
 * are checked, but imports may name any file in the map or `exists`.
 */
export function boundaryViolations(
  files: ReadonlyMap<string, string>,
  exists: (path: string) => boolean = (p) => files.has(p),
): string[] {
  const out: string[] = [];
  for (const [path, text] of files) {
    const runtime = runtimeOf(path);
    if (!runtime) continue;
    for (const imp of importsOf(path, text)) {
      const at = `${path}:${imp.line}`;
      if (imp.specifier.startsWith(".")) {
        const target = resolveRelative(path, imp.specifier, exists);
        if (!target) {
          out.push(`${at}: "${imp.specifier}" names no file`);
          continue;
        }
        const folder = Object.keys(NEVER).find((f) => path.startsWith(f));
        const banned = folder ? NEVER[folder]!.find((f) => target.startsWith(f)) : undefined;
        if (banned) {
          // The renderer may know the shell's API (shared); nothing else of electron/.
          out.push(`${at}: ${folder} code imports ${target} (never from ${banned})`);
          continue;
        }
        if (path.startsWith("renderer/") && target.startsWith("electron/")) {
          if (target !== "electron/shell-api.ts") {
            out.push(`${at}: the renderer imports ${target}; only electron/shell-api.ts`);
          }
          continue;
        }
        if (imp.typeOnly) continue;
        const targetRuntime = runtimeOf(target);
        if (targetRuntime && !MAY_LOAD[runtime].includes(targetRuntime)) {
          out.push(`${at}: ${runtime} code imports ${targetRuntime}-only ${target}`);
        }
        continue;
      }
      if (imp.typeOnly) continue;
      const needs = packageRuntime(imp.specifier);
      if (!needs) {
        out.push(
          `${at}: package "${imp.specifier}" is in no list of test/runtime-boundaries.ts PACKAGES`,
        );
      } else if (!MAY_LOAD[runtime].includes(needs)) {
        out.push(`${at}: ${runtime} code imports ${needs}-only package "${imp.specifier}"`);
      }
    }
    const forbidden =
      runtime === "shared"
        ? [...GLOBALS.dom, ...GLOBALS.node]
        : runtime === "dom"
          ? GLOBALS.node
          : GLOBALS.dom;
    for (const use of globalsUsed(path, text, forbidden)) {
      out.push(`${path}:${use.line}: ${runtime} code uses the global ${use.name}`);
    }
  }
  return out;
}
