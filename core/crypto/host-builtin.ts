/**
 * A Node built-in module where the host is Node (or Electron's main side),
 * reached through `process.getBuiltinModule` rather than an import: a
 * browser bundle of the files that use it needs no node:* module, and
 * there this gives undefined so they take their portable path.
 */
export function nodeBuiltin(id: "node:crypto"): unknown {
  const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return typeof host?.getBuiltinModule === "function" ? host.getBuiltinModule(id) : undefined;
}
