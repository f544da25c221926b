/**
 * The chat's messages kept as they change, for views that ask after every
 * update: `messages(doc)` reads and sorts every record each time, which a
 * catch-up of thousands did once per frame (and a launch once per space).
 * The index reads only the records a transaction touched, and keeps the
 * list sorted by appending when new messages come after the last (the usual
 * case), sorting again only when one lands earlier. Its list is a new array
 * only when a message changed, so memoized views skip the rest. Records are
 * checked without the shared verdict memo (records.ts): the index keeps what
 * it read by id, and at launch the memo's entries cost more than the checks.
 */
import type * as Y from "yjs";
import { type ChatMessage, messageRead, messagesOf } from "./chat.js";
import { byTime } from "./records.js";

export class MessageIndex {
  private readonly byId = new Map<string, ChatMessage>();
  private list: ChatMessage[] = [];
  /** Ids changed since `list` was last built, or "all". */
  private dirty: Set<string> | "all" = "all";
  private readonly map: Y.Map<unknown>;
  private readonly onChange = (event: Y.YMapEvent<unknown>) => {
    if (this.dirty === "all") return;
    for (const id of event.keysChanged) this.dirty.add(id);
  };

  constructor(doc: Y.Doc) {
    this.map = messagesOf(doc);
    this.map.observe(this.onChange);
  }

  /** Every well-formed message, oldest first: the same as `messages(doc)`. */
  messages(): ChatMessage[] {
    if (this.dirty === "all") {
      this.byId.clear();
      for (const [id, value] of this.map) {
        const m = messageRead(id, value);
        if (m) this.byId.set(id, m);
      }
      this.list = [...this.byId.values()].sort(byTime);
      this.dirty = new Set();
      return this.list;
    }
    if (this.dirty.size === 0) return this.list;
    const changed = this.dirty;
    this.dirty = new Set();
    let removedOrEdited = false;
    const added: ChatMessage[] = [];
    for (const id of changed) {
      const had = this.byId.has(id);
      const m = messageRead(id, this.map.get(id));
      if (m) this.byId.set(id, m);
      else this.byId.delete(id);
      // A listed message changed or went: rebuilt below (edits and deletes are rare).
      if (had) removedOrEdited = true;
      else if (m) added.push(m);
    }
    if (removedOrEdited) {
      this.list = [...this.byId.values()].sort(byTime);
      return this.list;
    }
    // Only junk arrived (records the reader refuses): the list is as it was.
    if (added.length === 0) return this.list;
    added.sort(byTime);
    const last = this.list.at(-1);
    const [first] = added;
    this.list =
      !last || !first || byTime(last, first) <= 0
        ? this.list.concat(added)
        : [...this.byId.values()].sort(byTime);
    return this.list;
  }

  destroy(): void {
    this.map.unobserve(this.onChange);
  }
}
