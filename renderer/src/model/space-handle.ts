/**
 * One open space as the UI sees it: its MemberSpace, the presence of its
 * members, its tools' views, and the delivery state of this device's own
 * chat messages. Everything the UI reads comes out of here as plain values.
 */

import * as Y from "yjs";
import { fromHex, toHex } from "../../../core/crypto/bytes.js";
import type { MemberSpace } from "../../../core/membership/member-space.js";
import { PresenceAnnouncer } from "../../../core/membership/presence.js";
import { type Caret, type DevicePlace, Whereabouts } from "../../../core/membership/whereabouts.js";
import type { Role } from "../../../core/space/access.js";
import {
  type Answer,
  addEvent,
  answer,
  answerPlace,
  cancelEvent,
  draftEvent,
  type EventInput,
  type EventView,
  eventProblem,
  events,
} from "../../../core/space/tools/calendar.js";
import {
  backlogOf,
  type ChatMessage,
  deliveredTo,
  draftDelete,
  draftEdit,
  draftPost,
  draftReceipt,
  findMentions,
  messagesPostedIn,
  putMessage,
  putReceipt,
  receiptDue,
  receiptReaders,
} from "../../../core/space/tools/chat.js";
import { MessageIndex } from "../../../core/space/tools/chat-index.js";
import {
  draftReply,
  draftTopic,
  reply,
  startTopic,
  type TopicView,
  topics,
  unreadIn,
} from "../../../core/space/tools/discussion.js";
import { type Field, fieldPlace } from "../../../core/space/tools/entries.js";
import {
  addFile,
  draftFile,
  type FileView,
  fileRecord,
  files,
  MAX_FILE_BYTES,
  removeFile,
} from "../../../core/space/tools/files.js";
import {
  migratedCopy,
  migrationUpdate,
  richFragment,
} from "../../../core/space/tools/note-rich.js";
import {
  createNote,
  deleteNote,
  draftNote,
  draftRename,
  editStampDue,
  type NoteView,
  noteBody,
  notes,
  noteText,
  plainToMigrate,
  renameNote,
  stampEdit,
  typeInNote,
} from "../../../core/space/tools/notes.js";
import { RecordVerifier } from "../../../core/space/tools/record-verifier.js";
import {
  type Authenticity,
  type RecordKind,
  type RecordTrust,
  type Signed,
  signRecord,
  UnsignedRecordError,
} from "../../../core/space/tools/signed-records.js";
import {
  addStroke,
  clearSketch,
  draftStroke,
  type Stroke,
  strokes,
  undoStroke,
} from "../../../core/space/tools/sketch.js";
import {
  addTask,
  changeTask,
  deleteTask,
  draftChange,
  draftTask,
  newlyAssigned,
  type TaskChange,
  type TaskView,
  tasks,
} from "../../../core/space/tools/tasks.js";
import {
  type BlobLink,
  downloadFile,
  type Progress,
  uploadFile,
} from "../../../core/sync/file-transfer.js";
import type { AppSyncEngine } from "../../../core/sync/links.js";
import type { OutboxEntry } from "../../../core/sync/outbox.js";
import { peekSpaceId } from "../../../core/wire/envelope.js";
import { type ActivityItem, activitySince } from "./activity.js";
import { MemberNames } from "./member-names.js";
import { refusalWords } from "./refusal-words.js";

const DAY_MS = 24 * 3600_000;

export interface MemberView {
  user: string;
  name: string;
  role: Role;
  devices: string[];
  me: boolean;
}

export type Delivery =
  | { state: "local" }
  | { state: "relay" }
  | { state: "delivered"; to: number; of: number };

/** Typing this long after the last keystroke that left at once leaves at once too. */
const TYPING_LEAD_MS = 1000;

/** Arrivals further apart than this end a catch-up. */
const BURST_GAP_MS = 1500;
/** A catch-up is shown once it has taken this many changes. */
const CATCH_UP_SHOWN = 50;

const randomId = () => toHex(crypto.getRandomValues(new Uint8Array(12)));

export class SpaceHandle {
  readonly id: string;
  readonly presence: PresenceAnnouncer;
  /** Who has which tool and note open, and their carets (presence payload version 2). */
  readonly whereabouts: Whereabouts;
  /**
   * For each queued outbox entry (msgId hex) of this space, the messages its
   * envelope first posts: read from the envelopes themselves, so a restart
   * with messages still waiting shows them "Local only" as before it.
   */
  private readonly pendingPosts = new Map<string, string[]>();
  private receiptTimer: ReturnType<typeof setTimeout> | undefined;
  private version = 0;
  private readonly offAccess: () => void;
  private readonly onBump = () => this.bump();
  /**
   * After each transaction that changed the doc. Not the "update" event: a listener there has
   * Yjs encode every transaction as an update, remote batches included, which cost about as
   * much as applying them.
   */
  private readonly onTransaction = (tr: Y.Transaction) => {
    if (tr.changed.size > 0 || tr.deleteSet.clients.size > 0) this.bump();
  };
  private readonly onRemote = () => {
    this.scheduleReceipt();
    this.noteArrivals();
  };

  constructor(
    readonly member: MemberSpace,
    private readonly engine: AppSyncEngine,
    private readonly me: { user: string; device: string; name: () => string },
    private readonly changed: () => void,
    /**
     * Has the client list the outbox again (after this space queued something);
     * the listing comes back to `notePending`.
     */
    private readonly outboxChanged: () => Promise<void>,
  ) {
    this.id = member.space.id;
    this.chatIndex = new MessageIndex(member.space.doc);
    this.names = new MemberNames(member.log);
    this.verifier = new RecordVerifier({
      spaceId: member.access.spaceId,
      userOfDevice: (device) => member.access.certifiedUserOf(device),
      verify: (device, bytes, signature) => member.space.verifyRecord(device, bytes, signature),
      // The chat asks verdicts as it renders; the other tools' views are rebuilt per generation.
      onSettled: () => this.changed(),
    });
    this.presence = PresenceAnnouncer.forMemberSpace(member, { engine });
    this.presence.on("change", this.onBump);
    this.whereabouts = new Whereabouts({
      space: member.space,
      userOf: (device) => member.access.userOf(device),
      device: member.access.device,
      presence: this.presence,
    });
    this.whereabouts.on("change", this.onBump);
    member.space.doc.on("afterTransaction", this.onTransaction);
    member.space.on("remoteChange", this.onRemote);
    let wasMember = member.access.isMember();
    this.offAccess = member.access.onChange(() => {
      // Just let in: say so now, not at the next heartbeat (before, there was nobody to tell).
      if (!wasMember && member.access.isMember() && this.presence.started) {
        void this.presence.setStatus(this.presence.currentStatus);
      }
      wasMember = member.access.isMember();
      this.verifier.recheckUnknownDevices();
      this.bump();
    });
  }

  /** A run of arrivals close together (a catch-up), for the progress shown while it lasts. */
  private burst: { from: number; last: number; at: number } | undefined;
  private burstTimer: ReturnType<typeof setTimeout> | undefined;

  private noteArrivals(): void {
    const accepted = this.member.space.stats.accepted;
    const now = Date.now();
    if (!this.burst || now - this.burst.at > BURST_GAP_MS) {
      this.burst = { from: accepted, last: accepted, at: now };
    }
    this.burst.last = accepted;
    this.burst.at = now;
    clearTimeout(this.burstTimer);
    this.burstTimer = setTimeout(() => {
      this.burst = undefined;
      this.bump();
    }, BURST_GAP_MS);
  }

  /** Changes taken in the current catch-up, while one runs (more than a handful in a row). */
  catchingUp(): number | undefined {
    const n = this.burst ? this.burst.last - this.burst.from : 0;
    return n >= CATCH_UP_SHOWN ? n : undefined;
  }

  /** Changes with every update of the space, for memoized views. */
  get revision(): number {
    return this.version;
  }

  private bump(): void {
    this.version++;
    this.changed();
  }

  get name(): string {
    return this.member.name || this.member.invitation?.spaceName || "Untitled space";
  }

  /** Whom a joiner waiting to be let in compares safety numbers with. */
  inviter(): { user: string; name: string } | undefined {
    const inv = this.member.invitation;
    return inv?.inviter ? { user: toHex(inv.inviter.user), name: inv.inviterName } : undefined;
  }

  get isMember(): boolean {
    return this.member.access.isMember();
  }

  /** For a device waiting to be let in: why it will not be, in words, once a manager said so. */
  get refusal(): string | undefined {
    const refused = this.member.access.refusal;
    return refused && refusalWords(refused.reason, refused.inviterName);
  }

  /**
   * For a device no longer a member: the accepted op that took this user out (the last one, as
   * a user may have been let in again since), with who did it and when by the author's clock.
   * Undefined while waiting to be let in, so a joiner is never told they were removed.
   */
  departure(): { self: boolean; by: string; at: number } | undefined {
    if (this.isMember) return undefined;
    const { log } = this.member;
    let last: { self: boolean; by: string; at: number } | undefined;
    for (const id of log.state.accepted) {
      const op = log.op(id);
      const action = op?.body.action;
      if (action?.type !== "remove" || toHex(action.user) !== this.me.user) continue;
      const author = log.state.devices.get(op!.signer);
      last = {
        // A leaver's own device is gone from the state's devices: its key says it was us.
        self: author === this.me.user || op!.signer === this.me.device,
        by: author ? this.nameOf(author) : "A manager",
        at: op!.body.time,
      };
    }
    return last;
  }

  get myRole(): Role | undefined {
    return this.member.log.state.members.get(this.me.user)?.role;
  }

  get canManage(): boolean {
    const role = this.myRole;
    return role === "owner" || role === "manager";
  }

  get canWrite(): boolean {
    const role = this.myRole;
    return role !== undefined && role !== "viewer";
  }

  members(): MemberView[] {
    return this.cached("members", () => this.listMembers());
  }

  private listMembers(): MemberView[] {
    const out: MemberView[] = [];
    for (const m of this.member.log.state.members.values()) {
      out.push({
        user: m.user,
        name: m.name,
        role: m.role,
        devices: [...m.devices.keys()],
        me: m.user === this.me.user,
      });
    }
    const rank: Record<Role, number> = { owner: 0, manager: 1, member: 2, viewer: 3 };
    return out.sort((a, b) => rank[a.role] - rank[b.role] || a.name.localeCompare(b.name));
  }

  /** Joins that wait for a person; joins on open invites are let in by a manager's device unasked. */
  pendingJoins() {
    const open = new Set(this.member.openJoins());
    return [...this.member.log.state.pending.values()]
      .filter((p) => !open.has(p.id))
      .map((p) => ({
        id: p.id,
        name: p.name,
        user: toHex(p.cert.user),
        device: p.cert.name,
      }));
  }

  /**
   * Members none of whose devices has acknowledged anything for `days` while messages waited for
   * them (Groove's "stale member"), longest first, for managers to remind or remove. Viewers
   * write no receipts, so they are never judged by them.
   */
  staleMembers(days: number, now = Date.now()) {
    return this.backlogs()
      .filter((b) => now - b.since >= days * DAY_MS)
      .sort((a, b) => a.since - b.since);
  }

  /**
   * Who has messages waiting for them and since when; read once per change of the doc (or of
   * the records' verdicts), however often the clock or the threshold asks.
   */
  private backlogs() {
    return this.cached("backlogs", () => {
      const doc = this.member.space.doc;
      const list = this.messages();
      const out: { user: string; name: string; since: number; waiting: number }[] = [];
      for (const m of this.members()) {
        if (m.me || m.role === "viewer") continue;
        const backlog = backlogOf(doc, list, m.user, this.trust);
        if (backlog.waiting === 0 || backlog.waitingSince === undefined) continue;
        // Silent since their last receipt, or, with none, since the first message that waits.
        const since = Math.max(backlog.lastReceipt ?? 0, backlog.waitingSince);
        out.push({ user: m.user, name: m.name, since, waiting: backlog.waiting });
      }
      return out;
    });
  }

  /**
   * Invites that can still let someone in (not revoked, not expired, a single-use one not used
   * yet), newest expiry first, for managers to see and revoke.
   */
  outstandingInvites(now = Date.now()) {
    return [...this.member.log.state.invites.values()]
      .filter((i) => !i.revoked && i.expiresAt > now && !(i.oneTime && i.used))
      .sort((a, b) => b.expiresAt - a.expiresAt)
      .map((i) => ({
        id: i.id,
        mode: i.mode,
        role: i.role,
        oneTime: i.oneTime,
        expiresAt: i.expiresAt,
        used: i.used,
        by: this.nameOf(i.by),
      }));
  }

  /** How many joins wait for this user's answer: none unless they may give one. */
  waitingForMe(): number {
    return this.isMember && this.canManage ? this.pendingJoins().length : 0;
  }

  // --- chat

  /**
   * Views are rebuilt only when the doc changed (the sidebar asks every space
   * on each render), or, for views that show only signed records, when
   * verdicts came in. The chat's list is not one of those (it renders each
   * message's verdict itself), so 30,000 messages are not listed again per
   * settled batch.
   */
  private readonly memo = new Map<
    string,
    { at: number; generation: number; arg: number; value: unknown }
  >();

  private cached<T>(name: string, build: () => T, arg = 0, bySignature = true): T {
    const generation = bySignature ? this.verifier.generation : 0;
    const hit = this.memo.get(name);
    if (hit && hit.at === this.version && hit.generation === generation && hit.arg === arg) {
      return hit.value as T;
    }
    const value = build();
    this.memo.set(name, { at: this.version, generation, arg, value });
    return value;
  }

  private readonly names: MemberNames;
  private readonly verifier: RecordVerifier;
  /** The chat's messages, read as they change rather than all at every update. */
  private readonly chatIndex: MessageIndex;

  /** What the tools' readers ask about records and people in this space. */
  readonly trust: RecordTrust = {
    holds: (kind, place, record, author) =>
      this.verifier.verdict(kind, place, record, author) === "verified",
    nameOf: (user) => this.names.nameOf(user),
    moderates: (user) => {
      const role = this.member.log.state.members.get(user)?.role;
      return role === "owner" || role === "manager";
    },
  };

  /** A user's name as the membership knows it (never as a record names itself). */
  nameOf(user: string): string {
    return this.names.nameOf(user);
  }

  /** `fields` signed by this device for `kind` at `place`. */
  private sign<T extends object>(kind: RecordKind, place: string, fields: T): Promise<T & Signed> {
    const { space, access } = this.member;
    return signRecord(kind, access.spaceId, place, { ...fields, device: this.me.device }, (b) =>
      space.signRecord(b),
    );
  }

  /** Field `field` of item `id` set to `v` by this user, signed. */
  private field<T>(kind: RecordKind, id: string, field: string, v: T): Promise<Field<T>> {
    return this.sign(kind, fieldPlace(id, field), { v, by: this.me.user, at: Date.now() });
  }

  /** This user and device as a new record's author, now. */
  private authored() {
    return { by: this.me.user, at: Date.now(), device: this.me.device };
  }

  messages(): ChatMessage[] {
    return this.chatIndex.messages();
  }

  async send(text: string): Promise<void> {
    const trimmed = text.trim();
    if (trimmed.length === 0) return;
    const mentions = findMentions(
      trimmed,
      this.members().filter((m) => !m.me),
    );
    const id = randomId();
    await this.writeMessage(
      (doc) =>
        draftPost(doc, {
          id,
          author: this.me.user,
          device: this.me.device,
          name: this.me.name(),
          at: Date.now(),
          text: trimmed,
          mentions,
        }),
      true,
    );
  }

  editMessage(id: string, text: string): Promise<void> {
    return this.writeMessage((doc) => draftEdit(doc, id, this.me.user, text.trim(), Date.now()));
  }

  deleteMessage(id: string): Promise<void> {
    return this.writeMessage((doc) => draftDelete(doc, id, this.me.user, Date.now()));
  }

  /** Chat writes one at a time: a message's number is drafted from the doc before it is signed. */
  private chatWrites: Promise<void> = Promise.resolve();

  /** Drafts a message record from the doc, signs it with this device's key, and writes it. */
  private writeMessage(
    draft: (doc: Y.Doc) => ChatMessage | undefined,
    track = false,
  ): Promise<void> {
    const write = this.chatWrites.then(async () => {
      const { space } = this.member;
      const record = draft(space.doc);
      if (!record) return;
      const signed = await this.sign("chat-message", "", record);
      const put = () => space.edit((doc) => putMessage(doc, signed));
      await (track ? this.tracked(put) : put());
    });
    this.chatWrites = write.catch(() => {});
    return write;
  }

  /** Whether a message was signed by a device of its named author; undefined while checking. */
  authenticity(m: ChatMessage): Authenticity | undefined {
    return this.verifier.verdict("chat-message", "", m, m.author);
  }

  /** What happened to one of this device's messages, given the outbox as it stands. */
  delivery(message: ChatMessage, queued: ReadonlySet<string>): Delivery {
    if (this.localOnly(queued).has(message.id)) return { state: "local" };
    // Viewers write nothing, receipts included: they cannot be counted. A member who has
    // left keeps counting for what they received before: delivery never goes backwards.
    const doc = this.member.space.doc;
    const readers = this.members()
      .filter((m) => !m.me && m.role !== "viewer")
      .map((m) => m.user);
    const past = receiptReaders(doc).filter((u) => u !== this.me.user && !readers.includes(u));
    const to = deliveredTo(doc, message, [...readers, ...past], this.trust);
    if (to.length === 0) return { state: "relay" };
    const departed = to.filter((u) => !readers.includes(u)).length;
    return { state: "delivered", to: to.length, of: readers.length + departed };
  }

  private local: { queued: ReadonlySet<string>; version: number; ids: Set<string> } | undefined;
  private pendingVersion = 0;

  /** Messages still waiting in the outbox, per outbox listing (one pass, not one per message). */
  private localOnly(queued: ReadonlySet<string>): Set<string> {
    if (this.local?.queued === queued && this.local.version === this.pendingVersion) {
      return this.local.ids;
    }
    const ids = new Set<string>();
    for (const [msgId, posted] of this.pendingPosts) {
      if (queued.has(msgId)) for (const id of posted) ids.add(id);
    }
    this.local = { queued, version: this.pendingVersion, ids };
    return ids;
  }

  /** Runs an edit and reads the outbox entries it added, so the message shows as waiting at once. */
  private async tracked(edit: () => Promise<void>): Promise<void> {
    await edit();
    await this.outboxChanged();
    this.bump();
  }

  /**
   * Takes the outbox as it stands: entries of this space not seen before are
   * opened (this device's own envelopes only) for the messages they post;
   * entries gone from it (acked) are forgotten. True when something changed.
   */
  notePending(entries: readonly OutboxEntry[]): boolean {
    const listed = new Set<string>();
    let changed = false;
    for (const entry of entries) {
      const msgId = toHex(entry.msgId);
      listed.add(msgId);
      if (this.pendingPosts.has(msgId)) continue;
      const space = peekSpaceId(entry.envelope);
      if (!space || toHex(space) !== this.id) continue;
      const update = this.member.space.ownUpdate(entry.envelope);
      const posted = update ? messagesPostedIn(update) : [];
      this.pendingPosts.set(msgId, posted);
      changed ||= posted.length > 0;
    }
    for (const [msgId, posted] of this.pendingPosts) {
      if (listed.has(msgId)) continue;
      this.pendingPosts.delete(msgId);
      changed ||= posted.length > 0;
    }
    if (changed) this.pendingVersion++;
    return changed;
  }

  /** A receipt says what this device holds; written after a quiet moment, one envelope per burst. */
  private scheduleReceipt(): void {
    if (!this.canWrite || this.receiptTimer) return;
    this.receiptTimer = setTimeout(() => {
      this.receiptTimer = undefined;
      // In a catch-up, one receipt once it is over: each one is an envelope sealed, queued and
      // logged in the space's queue, which held the next deliveries back every 250 ms.
      if (this.catchingUp() !== undefined) return this.scheduleReceipt();
      void this.writeReceipt().catch(() => {});
    }, 250);
  }

  private async writeReceipt(): Promise<void> {
    const doc = this.member.space.doc;
    // The last receipt counts only once checked: wait for its verdict before judging.
    if (!receiptDue(doc, this.me.user, this.trust)) return;
    await this.verifier.idle();
    if (!receiptDue(doc, this.me.user, this.trust)) return;
    const draft = draftReceipt(doc, this.me.user, this.me.device, Date.now(), this.trust);
    const signed = await this.sign("chat-receipt", "", draft);
    this.member.space.type((d) => putReceipt(d, signed));
  }

  // --- discussion

  topics(): TopicView[] {
    return this.cached("topics", () => topics(this.member.space.doc, this.trust));
  }

  async startTopic(title: string, text: string): Promise<void> {
    const { by, ...rest } = this.authored();
    const draft = draftTopic({
      id: randomId(),
      author: by,
      ...rest,
      title: title.trim(),
      text: text.trim(),
    });
    const signed = await this.sign("discussion-topic", "", draft);
    await this.member.space.edit((doc) => startTopic(doc, signed));
  }

  async reply(topic: string, text: string): Promise<void> {
    const { by, ...rest } = this.authored();
    const draft = draftReply({ id: randomId(), topic, author: by, ...rest, text: text.trim() });
    const signed = await this.sign("discussion-reply", "", draft);
    await this.member.space.edit((doc) => reply(doc, signed));
  }

  strokes(): Stroke[] {
    return this.cached("strokes", () => strokes(this.member.space.doc, this.trust));
  }

  /** A finished stroke (pen down to pen up): one envelope. */
  async draw(stroke: Pick<Stroke, "color" | "width" | "points">): Promise<void> {
    const { by, device } = this.authored();
    const draft = draftStroke({ ...stroke, id: randomId(), by, device });
    if (!draft) return;
    const signed = await this.sign("stroke", "", draft);
    await this.member.space.edit((doc) => addStroke(doc, signed));
  }

  undoStroke(): Promise<void> {
    return this.member.space.edit((doc) => {
      undoStroke(doc, this.me.user, this.trust);
    });
  }

  clearSketch(): Promise<void> {
    return this.member.space.edit((doc) => clearSketch(doc));
  }

  events(): EventView[] {
    return this.cached("events", () => events(this.member.space.doc, this.trust));
  }

  /** Puts an event in; rejects with what is wrong with it, before anything is sent. */
  async addEvent(input: EventInput): Promise<void> {
    const problem = eventProblem(input);
    if (problem) throw new Error(problem);
    const draft = draftEvent({ id: randomId(), ...this.authored() }, input);
    const signed = await this.sign("event", "", draft);
    await this.member.space.edit((doc) => addEvent(doc, signed));
  }

  /** This user's answer to an event; null takes it back. */
  async answerEvent(id: string, reply: Answer | null): Promise<void> {
    const record =
      reply === null
        ? null
        : await this.sign("event-answer", answerPlace(id), {
            v: reply,
            by: this.me.user,
            at: Date.now(),
          });
    await this.member.space.edit((doc) => {
      answer(doc, id, this.me.user, record, this.trust);
    });
  }

  cancelEvent(id: string): Promise<void> {
    return this.removeItem("event-field", id, cancelEvent);
  }

  /** Removes item `id` for everyone with this user's signed tombstone (the tool's `remove`). */
  private async removeItem(
    kind: RecordKind,
    id: string,
    remove: (doc: Y.Doc, id: string, tombstone: Field<true>, trust: RecordTrust) => boolean,
  ): Promise<void> {
    const tombstone = await this.field(kind, id, "deleted", true as const);
    await this.member.space.edit((doc) => {
      remove(doc, id, tombstone, this.trust);
    });
  }

  tasks(): TaskView[] {
    return this.cached("tasks", () => tasks(this.member.space.doc, this.trust));
  }

  async addTask(title: string): Promise<void> {
    const draft = draftTask({ id: randomId(), ...this.authored(), title: title.trim() });
    const signed = await this.sign("task", "", draft);
    await this.member.space.edit((doc) => addTask(doc, signed));
  }

  /** Ticks or reopens, renames, assigns (a user key, or null for nobody), sets the due day. */
  async changeTask(id: string, change: TaskChange): Promise<void> {
    const drafted = draftChange("title" in change ? { title: change.title.trim() } : change);
    if (!drafted) return;
    const record = await this.field("task-field", id, drafted.field, drafted.v);
    await this.member.space.edit((doc) => {
      changeTask(doc, id, drafted.field, record, this.trust);
    });
  }

  deleteTask(id: string): Promise<void> {
    return this.removeItem("task-field", id, deleteTask);
  }

  files(): FileView[] {
    return this.cached("files", () => files(this.member.space.doc, this.trust));
  }

  /**
   * Shares a file: its chunks go to the relay sealed under a key of its own,
   * then the manifest goes into the space. Rejects with a clear message when
   * the file is too large or the relay cannot be reached (files travel only
   * through it, so members offline now get them later).
   */
  async shareFile(
    file: { name: string; type: string; bytes: Uint8Array },
    onProgress?: Progress,
  ): Promise<void> {
    if (file.bytes.length > MAX_FILE_BYTES) {
      throw new Error(`${file.name} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB`);
    }
    const manifest = await uploadFile(this.blobLink(), file.bytes, {
      ...(onProgress ? { onProgress } : {}),
    });
    const draft = draftFile({
      id: randomId(),
      name: file.name,
      type: file.type,
      ...this.authored(),
      ...manifest,
    });
    const signed = await this.sign("file", "", draft);
    await this.member.space.edit((doc) => addFile(doc, signed));
  }

  /**
   * A shared file's bytes, fetched from the relay and checked chunk by chunk.
   * Only the manifest the doc holds now is fetched, once its sharer's
   * signature is checked and it is the one listed (same sharer, same key):
   * a manifest swapped under someone's name fetches nothing.
   */
  async fetchFile(file: FileView, onProgress?: Progress): Promise<Uint8Array> {
    const held = fileRecord(this.member.space.doc, file.id);
    const verdict = held && (await this.verifier.check("file", "", held, held.by));
    if (!held || verdict !== "verified" || held.by !== file.by || held.key !== file.key) {
      throw new UnsignedRecordError(`${file.name} is not signed by ${file.byName}'s devices`);
    }
    return downloadFile(this.blobLink(), held, { ...(onProgress ? { onProgress } : {}) });
  }

  async removeFile(id: string): Promise<void> {
    const tombstone = await this.sign("file-removal", "", {
      id,
      removed: true as const,
      ...this.authored(),
    });
    await this.member.space.edit((doc) => {
      removeFile(doc, tombstone);
    });
  }

  private blobLink(): BlobLink {
    const relay = this.engine.relay;
    if (!relay) throw new Error("This device has no relay, and files travel through one");
    return relay;
  }

  notes(): NoteView[] {
    return this.cached("notes", () => notes(this.member.space.doc, this.trust));
  }

  /** A note's text as shown (cut at the longest a note keeps). */
  noteText(id: string): string {
    return noteText(this.member.space.doc, id, this.trust);
  }

  /** A note's shared text, for an editor to bind to; undefined once the note is gone. */
  noteBody(id: string): Y.Text | undefined {
    return noteBody(this.member.space.doc, id, this.trust);
  }

  /** Starts a note; resolves with its id once it is sealed. */
  async createNote(title: string, fill?: (rich: Y.XmlFragment) => void): Promise<string> {
    const id = randomId();
    const draft = draftNote({ id, ...this.authored(), title: title.trim() || "Untitled" });
    const signed = await this.sign("note", "", draft);
    await this.member.space.edit((doc) => {
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
    const { space } = this.member;
    if (!this.notes().some((n) => n.id === id)) return undefined;
    const plain = plainToMigrate(space.doc, id, this.trust);
    if (plain !== undefined) {
      if (!this.canWrite) return { fragment: migratedCopy(id, plain), shared: false };
      const update = migrationUpdate(id, plain);
      void space.edit((doc) => Y.applyUpdate(doc, update)).catch(() => {});
    }
    return { fragment: richFragment(space.doc, id), shared: true };
  }

  /**
   * The editor changed a note's rich text (the ProseMirror binding wrote it
   * to the doc, which the space holds as pending): seal it with the typing
   * batch, and stamp "edited by" when one is due.
   */
  typedInNote(id: string): void {
    // A viewer types nothing; what the binding may write on its own (dropping nodes the schema
    // lacks) is not this user's edit, and a viewer's envelopes are refused anyway.
    if (!this.canWrite) return;
    // Called from the fragment's observer, before the doc emits the update the space keeps as
    // pending: sealing now would find nothing and leave that update without a timer.
    queueMicrotask(() => {
      this.typeNow(() => {});
      this.stampIfDue(id);
    });
  }

  /** When this device's typing last went out at once (see `typeNow`). */
  private typingLead = Number.NEGATIVE_INFINITY;

  /**
   * Typing, batched by `Space.type` (a burst leaves as one envelope, decision 44), except
   * that a keystroke a second or more after the last one that left at once leaves at once,
   * with whatever waited: the others see a word start as soon as the network allows, not
   * after the batch's pause, and a long burst costs at most one more envelope a second
   * (decision 82).
   */
  private typeNow(change: (doc: Y.Doc) => void): void {
    const { space } = this.member;
    space.type(change);
    const now = Date.now();
    if (now - this.typingLead < TYPING_LEAD_MS) return;
    this.typingLead = now;
    void space.flush().catch(() => {});
  }

  /** Notes whose "edited by" stamp is being signed: one stamp at a time per note. */
  private readonly stamping = new Set<string>();

  /**
   * One input event's change to a note; typing is batched into one envelope
   * per burst, and the signed "edited by" stamp joins it when one is due.
   */
  typeInNote(id: string, change: { index: number; remove: number; insert: string }): void {
    this.typeNow((doc) => typeInNote(doc, id, change, this.trust));
    this.stampIfDue(id);
  }

  private stampIfDue(id: string): void {
    const { space } = this.member;
    if (this.stamping.has(id)) return;
    if (!editStampDue(space.doc, id, this.me.user, Date.now(), this.trust)) return;
    this.stamping.add(id);
    void this.field("note-field", id, "edited", true as const)
      .then((stamp) => space.type((doc) => stampEdit(doc, id, stamp, this.trust)))
      .catch(() => {})
      .finally(() => this.stamping.delete(id));
  }

  async renameNote(id: string, title: string): Promise<void> {
    const draft = draftRename({ v: title.trim() || "Untitled", by: this.me.user, at: Date.now() });
    const record = await this.sign("note-field", fieldPlace(id, "title"), draft);
    await this.member.space.edit((doc) => {
      renameNote(doc, id, record, this.trust);
    });
  }

  deleteNote(id: string): Promise<void> {
    return this.removeItem("note-field", id, deleteNote);
  }

  /** Unread posts: chat messages and discussion posts by others after `readAt`. */
  unread(readAt: number): number {
    return this.cached("unread", () => this.countUnread(readAt), readAt);
  }

  private countUnread(readAt: number): number {
    let n = 0;
    for (const m of this.messages())
      if (m.author !== this.me.user && m.at > readAt && !m.deleted) n++;
    for (const t of this.topics()) n += unreadIn(t, readAt, this.me.user);
    n += newlyAssigned(this.tasks(), this.me.user, readAt).length;
    return n;
  }

  lastActivity(): number {
    let last = 0;
    const msgs = this.messages();
    const tail = msgs[msgs.length - 1];
    if (tail) last = tail.at;
    for (const t of this.topics()) if (t.lastActivity > last) last = t.lastActivity;
    return last;
  }

  /** This device's user (hex). */
  get myUser(): string {
    return this.me.user;
  }

  /** The tool open in this space's view ("" when the view closes); a note open in it stays. */
  setTool(tool: string): void {
    if (this.whereabouts.current.tool === tool) return;
    this.whereabouts.setPlace(tool);
  }

  /** The note open in the notes tool (undefined: back to the list). */
  setNote(note: string | undefined): void {
    // Leaving a note as the whole view closes: "nowhere" stays nowhere.
    if (!note && this.whereabouts.current.tool !== "Notes") return;
    this.whereabouts.setPlace("Notes", note);
  }

  /** This device's caret in the open note (undefined when the editor is not focused). */
  setCaret(caret: Caret | undefined): void {
    this.whereabouts.setCaret(caret);
  }

  /** Everyone else here now, where they are (one entry per user: their latest-heard device). */
  whoIsWhere(): (DevicePlace & { name: string })[] {
    const byUser = new Map<string, DevicePlace>();
    for (const p of this.whereabouts.places()) {
      if (p.user === this.me.user) continue;
      const seen = byUser.get(p.user);
      if (!seen || p.heardAt > seen.heardAt) byUser.set(p.user, p);
    }
    return [...byUser.values()].map((p) => ({ ...p, name: this.nameOf(p.user) }));
  }

  /** Carets of other devices in one note. */
  caretsIn(note: string): (DevicePlace & { name: string })[] {
    return this.whereabouts
      .places()
      .filter((p) => p.note === note && p.device !== this.me.device)
      .map((p) => ({ ...p, name: this.nameOf(p.user) }));
  }

  /** What others did here after `since`, newest first, from this device's replica. */
  activity(since: number): ActivityItem[] {
    return this.cached(
      "activity",
      () =>
        activitySince(
          {
            me: this.me.user,
            nameOf: (user) => this.nameOf(user),
            messages: this.messages(),
            topics: this.topics(),
            notes: this.notes(),
            tasks: this.tasks(),
            events: this.events(),
            files: this.files(),
            log: this.member.log,
          },
          since,
        ),
      since,
    );
  }

  /** User (hex) behind a device (hex), if a member's. */
  userOfDevice(device: string): string | undefined {
    return this.member.access.userOf(fromHex(device));
  }

  rename(name: string): Promise<void> {
    return this.member.space.edit((doc) => doc.getMap("meta").set("name", name.trim()));
  }

  /** Stops listening and announcing (the space is left); the engine closes the space itself. */
  async close(): Promise<void> {
    clearTimeout(this.receiptTimer);
    clearTimeout(this.burstTimer);
    this.offAccess();
    this.chatIndex.destroy();
    this.member.space.doc.off("afterTransaction", this.onTransaction);
    this.member.space.off("remoteChange", this.onRemote);
    this.presence.off("change", this.onBump);
    this.whereabouts.off("change", this.onBump);
    await this.whereabouts.close().catch(() => {});
    await this.presence.stop().catch(() => {});
  }
}
