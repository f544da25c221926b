/**
 * The notes of one space: signed notes whose text is shared (plain text, or
 * rich text once migrated), typing batched into few envelopes, the signed
 * "edited by" stamp, and what the editor needs of where others are (carets).
 */
import * as Y from "yjs";
import { noted } from "../../../../core/diagnostics/recent-errors.js";
import type { Caret, DevicePlace, Whereabouts } from "../../../../core/membership/whereabouts.js";
import { fieldPlace } from "../../../../core/space/tools/entries.js";
import {
  migratedCopy,
  migrationUpdate,
  richFragment,
} from "../../../../core/space/tools/note-rich.js";
import {
  createNote,
  draftNote,
  draftRename,
  editStampDue,
  eraseNote,
  type NoteView,
  note,
  noteBody,
  notes,
  noteText,
  plainChangedSinceMigration,
  plainToMigrate,
  renameNote,
  stampEdit,
  typeInNote,
} from "../../../../core/space/tools/notes.js";
import { noteHits } from "../../../../core/space/tools/search.js";
import { type ActivityItem, quote } from "../../model/activity.js";
import { randomId, type SpaceContext } from "../../model/space-context.js";
import type { ToolHit, ToolModel } from "../../model/tool-plugin.js";
import { afterPaint } from "../../model/when-idle.js";

/** A note this user may not delete (neither its author nor a manager). */
export class NoteDeleteError extends Error {
  override readonly name = "NoteDeleteError";
  readonly code = "NOT_ALLOWED";
}

/** Typing this long after the last keystroke that left at once leaves at once too. */
const TYPING_LEAD_MS = 1000;
/** The tool's label, as whereabouts name the place. */
const LABEL = "Notes";

export class NotesModel implements ToolModel {
  /** When this device's typing last went out at once (see `typeNow`). */
  private typingLead = Number.NEGATIVE_INFINITY;
  /** Notes whose "edited by" stamp is being signed: one stamp at a time per note. */
  private readonly stamping = new Set<string>();
  /** A keystroke's follow-up (sealing at once, the stamp) is waiting for the paint. */
  private afterKeystroke = false;
  /** The caret to tell whereabouts after the paint, when one is waiting. */
  private caretDue: { caret: Caret | undefined; note: string | undefined } | undefined;

  constructor(private readonly ctx: SpaceContext) {}

  notes(): NoteView[] {
    return this.ctx.cached("notes", () => notes(this.ctx.doc, this.ctx.trust));
  }

  /** A note's text as shown (cut at the longest a note keeps). */
  noteText(id: string): string {
    return noteText(this.ctx.doc, id, this.ctx.trust);
  }

  /** A note's shared text, for an editor to bind to; undefined once the note is gone. */
  noteBody(id: string): Y.Text | undefined {
    return noteBody(this.ctx.doc, id, this.ctx.trust);
  }

  /** Starts a note; resolves with its id once it is sealed. */
  async createNote(title: string, fill?: (rich: Y.XmlFragment) => void): Promise<string> {
    const id = randomId();
    const draft = draftNote({ id, ...this.ctx.authored(), title: title.trim() || "Untitled" });
    const signed = await this.ctx.sign("note", "", draft);
    await this.ctx.member.space.edit((doc) => {
      createNote(doc, signed);
      fill?.(richFragment(doc, id));
    });
    return id;
  }

  /**
   * A note's rich text for the editor to bind to. A note still in the
   * textarea's plain text is migrated first (one deterministic update, so
   * two devices doing it at once keep one copy; note-rich.ts); a device
   * that may not write gets a read-only copy of what the migration makes.
   * Undefined once the note is gone.
   */
  noteRich(id: string): { fragment: Y.XmlFragment; shared: boolean } | undefined {
    const { space } = this.ctx.member;
    if (!this.notes().some((n) => n.id === id)) return undefined;
    const plain = plainToMigrate(space.doc, id, this.ctx.trust);
    if (plain !== undefined) {
      if (!this.ctx.canWrite) return { fragment: migratedCopy(id, plain), shared: false };
      const update = migrationUpdate(id, plain);
      void space
        .edit((doc) => Y.applyUpdate(doc, update))
        .catch(noted("NOTE_MIGRATION", "moving a plain note to rich text"));
    }
    return { fragment: richFragment(space.doc, id), shared: true };
  }

  /** What an older build typed into a note's plain text after it became rich (notes.ts). */
  noteOlderTyping(id: string): string | undefined {
    return plainChangedSinceMigration(this.ctx.member.space.doc, id, this.ctx.trust);
  }

  /**
   * The editor changed a note's rich text (the ProseMirror binding wrote it
   * to the doc, which the space holds as pending): seal it with the typing
   * batch, and stamp "edited by" when one is due.
   */
  typedInNote(id: string): void {
    // A viewer types nothing; what the binding may write on its own (dropping nodes the schema
    // lacks) is not this user's edit, and a viewer's envelopes are refused anyway.
    if (!this.ctx.canWrite) return;
    // Called from the fragment's observer, before the doc emits the update the space keeps as
    // pending: sealing now would find nothing and leave that update without a timer.
    queueMicrotask(() => this.typeNow(id, () => undefined));
  }

  /** Transactions of this origin are the rich editor's typing (rendered when idle, decision 119). */
  typingOrigin(origin: unknown): void {
    this.ctx.typingOrigin(origin);
  }

  /**
   * Typing, batched by `Space.type` (a burst leaves as one envelope, decision 44), except
   * that a keystroke a second or more after the last one that left at once leaves at once,
   * with whatever waited: the others see a word start as soon as the network allows, not
   * after the batch's pause, and a long burst costs at most one more envelope a second
   * (decision 82). Only the change itself is made in the keystroke's task: sealing it now
   * and the "edited by" stamp run once the character is painted (decision 119).
   */
  private typeNow(id: string, change: (doc: Y.Doc) => void): void {
    const { space } = this.ctx.member;
    space.type(change);
    const now = Date.now();
    const lead = now - this.typingLead >= TYPING_LEAD_MS;
    if (lead) this.typingLead = now;
    if (this.afterKeystroke) return;
    this.afterKeystroke = true;
    afterPaint(() => {
      this.afterKeystroke = false;
      if (lead) void space.flush().catch(noted("TYPING_FLUSH", "sending typing at once"));
      this.stampIfDue(id);
    });
  }

  /**
   * One input event's change to a note; typing is batched into one envelope
   * per burst, and the signed "edited by" stamp joins it when one is due.
   */
  typeInNote(id: string, change: { index: number; remove: number; insert: string }): void {
    this.typeNow(id, (doc) => typeInNote(doc, id, change, this.ctx.trust));
  }

  private stampIfDue(id: string): void {
    const { space } = this.ctx.member;
    const { me, trust } = this.ctx;
    if (this.stamping.has(id)) return;
    if (!editStampDue(space.doc, id, me.user, Date.now(), trust)) return;
    this.stamping.add(id);
    void this.ctx
      .field("note-field", id, "edited", true as const)
      .then((stamp) => space.type((doc) => stampEdit(doc, id, stamp, trust)))
      .catch(noted("NOTE_STAMP", "signing a note's edited-by stamp"))
      .finally(() => this.stamping.delete(id));
  }

  async renameNote(id: string, title: string): Promise<void> {
    const { me, trust } = this.ctx;
    const draft = draftRename({ v: title.trim() || "Untitled", by: me.user, at: Date.now() });
    const record = await this.ctx.sign("note-field", fieldPlace(id, "title"), draft);
    await this.ctx.member.space.edit((doc) => {
      renameNote(doc, id, record, trust);
    });
  }

  /**
   * Deletes a note for everyone, in one envelope: its page (titles, stamps, plain text) taken
   * out of the space's doc and its rich text emptied, so no member's doc keeps any of it and
   * a later joiner's catch-up does not carry it; gone from this device's list, search and
   * activity at once (decision 171). Only its author or a manager may: the view offers it to
   * them alone. The envelopes that wrote it stay in each device's log until its next
   * checkpoint, and at the relay until they expire: sealed, and gone from every doc.
   */
  async deleteNote(id: string): Promise<void> {
    const { doc, trust, me } = this.ctx;
    const view = note(doc, id, trust);
    if (!view) return;
    if (view.created.by !== me.user && !trust.moderates(me.user)) {
      throw new NoteDeleteError("its author or a manager deletes a note");
    }
    await this.ctx.member.space.edit((d) => {
      eraseNote(d, id, trust);
    });
  }

  // --- where others are, for the editor

  /** This device's user (hex), for the editor's caret colour. */
  get myUser(): string {
    return this.ctx.me.user;
  }

  get whereabouts(): Whereabouts {
    return this.ctx.whereabouts;
  }

  /** The note open in the notes tool (undefined: back to the list). */
  setNote(note: string | undefined): void {
    // Leaving a note as the whole view closes: "nowhere" stays nowhere.
    if (!note && this.ctx.whereabouts.current.tool !== LABEL) return;
    this.ctx.whereabouts.setPlace(LABEL, note);
  }

  /**
   * This device's caret in the open note (undefined when the editor is not focused). Told
   * after the frame that shows the keystroke: the latest caret then goes out (decision 119).
   */
  setCaret(caret: Caret | undefined): void {
    const due = this.caretDue;
    this.caretDue = { caret, note: this.ctx.whereabouts.current.note };
    if (due) return;
    afterPaint(() => {
      const latest = this.caretDue;
      this.caretDue = undefined;
      // A caret in a note left meanwhile is not a caret in the one open now.
      if (latest && latest.note === this.ctx.whereabouts.current.note) {
        this.ctx.whereabouts.setCaret(latest.caret);
      }
    });
  }

  /** Carets of other devices in one note. */
  caretsIn(note: string): (DevicePlace & { name: string })[] {
    return this.ctx.whereabouts
      .places()
      .filter((p) => p.note === note && p.device !== this.ctx.me.device)
      .map((p) => ({ ...p, name: this.ctx.nameOf(p.user) }));
  }

  // --- asked of every tool

  search(matches: (text: string) => boolean): ToolHit[] {
    return noteHits(this.ctx.doc, this.ctx.trust, matches);
  }

  activity(since: number): ActivityItem[] {
    return notesActivity(this.notes(), this.ctx.me.user, since);
  }
}

export function notesActivity(list: NoteView[], me: string, since: number): ActivityItem[] {
  return list
    .filter((n) => n.edited.by !== me && n.edited.at > since)
    .map((n) => {
      const made = n.created.at > since && n.created.by === n.edited.by;
      return {
        key: `note:${n.id}`,
        tool: LABEL,
        at: n.edited.at,
        text: `${n.edited.name} ${made ? "started" : "edited"} the note ${quote(n.title || "Untitled")}`,
      };
    });
}
