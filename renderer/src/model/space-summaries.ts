/**
 * Keeps each open space's summary (core/space/space-summary.ts) on disk
 * beside its checkpoint, so the next launch lists the space without building
 * its doc; and loads spaces listed from summaries after the list is shown.
 *
 * Summaries are written when the page is idle, at most every few seconds,
 * and only those that changed. A summary not written (the app closed first)
 * costs the next launch that space's doc, never a wrong figure: each one
 * holds only for the doc mark and read time it was made with.
 */
import { noted } from "../../../core/diagnostics/recent-errors.js";
import {
  decodeSummary,
  encodeSummary,
  type SpaceSummary,
  summarizable,
  summaryKey,
} from "../../../core/space/space-summary.js";
import { type Store, StoreError } from "../../../core/store/store.js";
import { nextTask } from "../../../core/sync/next-task.js";
import { DecodeError } from "../../../core/wire/errors.js";
import type { SpaceHandle } from "./space-handle.js";
import { whenIdle } from "./when-idle.js";

/** Quiet time between two passes over the summaries (ms). */
const EVERY_MS = 3000;
/** Longest the docs wait for the list's first paint (ms). */
const LIST_WAIT_MS = 1000;
/** How often building docs looks again whether a catch-up is over (ms). */
const CATCH_UP_PAUSE_MS = 250;

/**
 * A space's summary as stored, or undefined: none yet, one this version cannot read, or a
 * damaged record (noted). None is a reason to keep the space closed: it is built at open,
 * and its summary written again. A store that fails throws, as the open's other reads do.
 */
export async function readSummary(
  store: Store,
  spaceId: string,
): Promise<SpaceSummary | undefined> {
  try {
    const bytes = await store.get(summaryKey(spaceId));
    return bytes && decodeSummary(bytes);
  } catch (err) {
    if (err instanceof DecodeError) return undefined;
    if (err instanceof StoreError && err.code === "CORRUPT_RECORD") {
      noted("SPACE_SUMMARY", "reading a space's summary at launch")(err);
      return undefined;
    }
    throw err;
  }
}

/**
 * What the space list shows of a space now, with the mark of the doc it was read from;
 * undefined while it is listed from a summary (that one is on disk) or while its doc holds
 * changes not yet sealed or written (no honest mark).
 */
export function summaryOf(handle: SpaceHandle, readAt: number): SpaceSummary | undefined {
  if (handle.waiting) return undefined;
  const mark = handle.member.space.stateMark();
  if (mark === undefined) return undefined;
  return {
    mark,
    readAt,
    unread: handle.unread(readAt),
    lastActivity: handle.lastActivity(),
    name: handle.name,
  };
}

function same(a: SpaceSummary | undefined, b: SpaceSummary): boolean {
  return (
    a !== undefined &&
    a.mark === b.mark &&
    a.readAt === b.readAt &&
    a.unread === b.unread &&
    a.lastActivity === b.lastActivity &&
    a.name === b.name
  );
}

export class SummaryKeeper {
  /** What is on disk per space, as far as this run knows. */
  private readonly written = new Map<string, SpaceSummary>();
  private closed = false;
  private readonly schedule: () => void;
  /** Spaces erased from this device: never written again. */
  private readonly erased = new Set<string>();
  /** The writeDue under way, if one: an erase waits for it. */
  private writing: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly handles: () => Iterable<SpaceHandle>,
    private readonly readAt: (spaceId: string) => number,
  ) {
    this.schedule = whenIdle(() => void this.writeDue(), EVERY_MS);
  }

  /** The summary a space was opened with is on disk already. */
  noteOnDisk(spaceId: string, summary: SpaceSummary): void {
    this.written.set(spaceId, summary);
  }

  /** Something changed: summaries are brought up to date at a quiet moment. */
  changed(): void {
    if (!this.closed) this.schedule();
  }

  /** True while some space's summary on disk is not the one it would have now (or none yet). */
  due(): boolean {
    for (const handle of this.handles()) {
      if (handle.waiting) continue;
      const summary = summaryOf(handle, this.readAt(handle.id));
      if (!summary || !same(this.written.get(handle.id), summary)) return true;
    }
    return false;
  }

  /**
   * A space is being erased from this device: no summary of it is written
   * from now on. Resolves once a write already under way has landed, so the
   * erase that follows finds it.
   */
  async forget(spaceId: string): Promise<void> {
    this.erased.add(spaceId);
    this.written.delete(spaceId);
    await this.writing;
  }

  /** A space opened again (joined again after it was erased): its summary is kept again. */
  reopened(spaceId: string): void {
    this.erased.delete(spaceId);
  }

  /** Writes every loaded space's summary that changed since it was last written. */
  writeDue(): Promise<void> {
    const run = (this.writing ?? Promise.resolve()).then(() => this.writeChanged());
    this.writing = run;
    return run;
  }

  /** Never rejects (a failure is noted): the next writeDue runs after it all the same. */
  private async writeChanged(): Promise<void> {
    try {
      const due: [id: string, summary: SpaceSummary][] = [];
      for (const handle of this.handles()) {
        if (this.closed) return;
        const summary = summaryOf(handle, this.readAt(handle.id));
        if (!summary || !summarizable(summary) || same(this.written.get(handle.id), summary)) {
          continue;
        }
        due.push([handle.id, summary]);
      }
      for (const [id, summary] of due) {
        if (this.closed) return;
        if (this.erased.has(id)) continue;
        await this.store.put(summaryKey(id), encodeSummary(summary));
        this.written.set(id, summary);
      }
    } catch (err) {
      noted("SPACE_SUMMARY", "keeping a space's summary for the next launch")(err);
    }
  }

  close(): void {
    this.closed = true;
  }
}

/**
 * Loads the spaces listed from summaries, the most recently active first,
 * in tasks of their own (a space's doc, then its tools: a few ms each), and
 * calls `done` once none waits. `stopped` ends it early (the session closed).
 * `warm` reads a loaded space's list figures in its own task, so that the
 * next render does not build the indexes of every space loaded since.
 */
export function loadWaiting(
  handles: () => Iterable<SpaceHandle>,
  stopped: () => boolean,
  warm: (handle: SpaceHandle) => void,
  done: () => void,
): void {
  // After the list's first paint (the Sidebar's mark), so building docs does not delay it;
  // where nothing paints (Node) or it takes long, after LIST_WAIT_MS all the same.
  const since = Date.now();
  const shown = () => performance.getEntriesByName("grove:interactive").length > 0;
  const begin = () => {
    if (stopped()) return;
    if (
      !shown() &&
      Date.now() - since < LIST_WAIT_MS &&
      typeof requestAnimationFrame === "function"
    ) {
      setTimeout(begin, 16);
    } else nextTask(next);
  };
  const next = () => {
    if (stopped()) return;
    let first: SpaceHandle | undefined;
    let catchingUp = false;
    for (const h of handles()) {
      if (h.waiting && (!first || h.lastActivity() > first.lastActivity())) first = h;
      catchingUp ||= h.catchingUp() !== undefined;
    }
    // A space catching up has the main thread first: the rest wait for its burst to end.
    if (first && catchingUp) {
      setTimeout(next, CATCH_UP_PAUSE_MS);
      return;
    }
    if (!first) {
      done();
      return;
    }
    // Yjs's part in one task, the tools' models and figures in the next: two shorter tasks.
    const { space } = first.member;
    if (space.docLoaded) {
      first.load();
      warm(first);
    } else space.loadDoc();
    // A task of its own, after whatever is queued (input, a frame, arrivals): not an idle
    // callback, which a page Chromium deems hidden runs only at its timeout.
    nextTask(next);
  };
  begin();
}
