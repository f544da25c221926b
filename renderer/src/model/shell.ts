import type { GroveShell } from "../../../electron/shell-api.js";

/** The desktop shell's API, where the app runs in it (electron/preload.ts). */
export function desktopShell(): GroveShell | undefined {
  return (globalThis as { groveShell?: GroveShell }).groveShell;
}
