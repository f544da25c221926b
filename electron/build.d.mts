/** Builds electron/dist (main.cjs, preload.cjs) and returns the path of main.cjs. */
export function buildShell(root?: string): Promise<string>;
