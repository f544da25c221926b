/**
 * Unsent text, per space and tool (and per topic for replies): kept in the
 * profile's encrypted local store, so a draft survives a reload and a restart
 * and is as private at rest as the messages themselves. Reads are from memory
 * (every draft is loaded when the profile opens: a few short records); writes
 * go out shortly after typing stops, and an emptied draft is deleted.
 */
import { recentErrors } from "../../../core/diagnostics/recent-errors.js";
import type { Store } from "../../../core/store/store.js";

const PREFIX = "draft/";
/** Long enough to coalesce a burst of typing into one write, short enough that a reload keeps it. */
const WRITE_AFTER_MS = 250;
/** Drafts are human-sized; a paste larger than this is kept in memory only. */
const MAX_CHARS = 64_000;

/** A draft's name: what it belongs to, reduced to the store's key characters. */
export function draftKey(spaceId: string, tool: string, sub?: string): string {
  return `${spaceDrafts(spaceId)}${clean(tool)}${sub ? `-${clean(sub)}` : ""}`.slice(0, 120);
}

const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9.-]/g, "-");

/** The prefix of every draft of one space. */
function spaceDrafts(spaceId: string): string {
  return `${PREFIX}${clean(spaceId)}/`;
}

export class Drafts {
  private readonly texts = new Map<string, string>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Writes under way: a space's drafts are erased only once none can land after. */
  private readonly writing = new Set<Promise<void>>();

  private constructor(private readonly store: Store) {}

  static async open(store: Store): Promise<Drafts> {
    const drafts = new Drafts(store);
    const decoder = new TextDecoder();
    for (const key of await store.list(PREFIX)) {
      // A record this build cannot read is no one's loss: it was never sent anyway.
      const bytes = await store.get(key).catch((err: unknown) => {
        recentErrors.note("DRAFT_UNREADABLE", "reading an unsent draft at start", err);
        return undefined;
      });
      if (bytes) drafts.texts.set(key, decoder.decode(bytes));
    }
    return drafts;
  }

  get(key: string): string {
    return this.texts.get(key) ?? "";
  }

  /** Writes still to go (tests wait for none before reloading). */
  get pending(): number {
    return this.timers.size + this.writing.size;
  }

  set(key: string, text: string): void {
    if (text === this.get(key)) return;
    if (text) this.texts.set(key, text);
    else this.texts.delete(key);
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.write(key);
      }, WRITE_AFTER_MS),
    );
  }

  /** Writes every draft waiting for its timer (the page is going away). */
  flush(): void {
    for (const [key, timer] of this.timers) {
      clearTimeout(timer);
      this.timers.delete(key);
      void this.write(key);
    }
  }

  /**
   * Erases every draft of a space (deleted from this device): from memory at
   * once, from the store once the writes under way have landed.
   */
  async forgetSpace(spaceId: string): Promise<void> {
    const prefix = spaceDrafts(spaceId);
    for (const [key, timer] of this.timers) {
      if (!key.startsWith(prefix)) continue;
      clearTimeout(timer);
      this.timers.delete(key);
    }
    for (const key of [...this.texts.keys()]) if (key.startsWith(prefix)) this.texts.delete(key);
    await Promise.all(this.writing);
    await this.store.deleteMany(await this.store.list(prefix));
  }

  private write(key: string): Promise<void> {
    const written = this.writeNow(key).finally(() => this.writing.delete(written));
    this.writing.add(written);
    return written;
  }

  private async writeNow(key: string): Promise<void> {
    const text = this.texts.get(key);
    try {
      if (!text) await this.store.delete(key);
      else if (text.length <= MAX_CHARS) await this.store.put(key, new TextEncoder().encode(text));
    } catch (err) {
      // A draft that could not be written stays in memory; losing it on reload is the worst case.
      recentErrors.note("DRAFT_WRITE", "keeping an unsent draft on this device", err);
    }
  }
}
