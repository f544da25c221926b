/**
 * Chromium's processes started from this one (a bench's browser), from
 * /proc (Linux): other Chromiums on a shared machine are not ours to count.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Chromium's processes below this one, by type (browser, renderer, utility:<sub>, ...). */
export function chromiumProcesses(): Map<number, string> {
  const parents = new Map<number, number>();
  const kinds = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      parents.set(pid, Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split(/[\0 ]/);
      if (!cmd[0]?.includes("chrom")) continue;
      const type = cmd.find((a) => a.startsWith("--type="))?.slice(7) ?? "browser";
      const sub = cmd.find((a) => a.startsWith("--utility-sub-type="))?.slice(19);
      kinds.set(pid, sub ? `${type}:${sub.split(".").pop()}` : type);
    } catch {
      // Gone meanwhile.
    }
  }
  const mine = new Map<number, string>();
  for (const [pid, kind] of kinds) {
    for (let p: number | undefined = pid; p && p > 1; p = parents.get(p)) {
      if (p === process.pid) {
        mine.set(pid, kind);
        break;
      }
    }
  }
  return mine;
}

/** Nanoseconds of CPU of `pid`'s thread `tid`, or of all its threads. */
export function cpuNs(pid: number, tid?: number): number {
  let ns = 0;
  let tids: string[];
  try {
    tids = tid === undefined ? readdirSync(`/proc/${pid}/task`) : [String(tid)];
  } catch {
    return 0; // The process ended.
  }
  for (const t of tids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return ns;
}
