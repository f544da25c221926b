/**
 * The chat of one space: its messages (read as they change, chat-index.ts),
 * writing, editing and deleting them signed, their delivery states from the
 * outbox and members' receipts, this device's own receipts, and who has
 * messages waiting for them (stale members).
 */
import type * as Y from "yjs";
import { toHex } from "../../../../core/crypto/bytes.js";
import { noted, whenSettled } from "../../../../core/diagnostics/recent-errors.js";
import {
  backlogOf,
  type ChatMessage,
  deliveredTo,
  draftDelete,
  draftEdit,
  draftPost,
  draftReceipt,
  findMentions,
  messagesWrittenIn,
  putMessage,
  putReceipt,
  receiptDue,
  receiptReaders,
} from "../../../../core/space/tools/chat.js";
import { MessageIndex } from "../../../../core/space/tools/chat-index.js";
import { chatHits } from "../../../../core/space/tools/search.js";
import type { Authenticity } from "../../../../core/space/tools/signed-records.js";
import type { OutboxEntry } from "../../../../core/sync/outbox.js";
import type { NotQueued } from "../../../../core/sync/relay-transport.js";
import { namesSpace } from "../../../../core/wire/envelope.js";
import type { ActivityItem } from "../../model/activity.js";
import { randomId, type SpaceContext } from "../../model/space-context.js";
import { admittedAt } from "../../model/space-members.js";
import type { Notice, ToolHit, ToolModel } from "../../model/tool-plugin.js";
import { chatActivity, chatNotice } from "./words.js";

const DAY_MS = 24 * 3600_000;
/** A receipt is written after this quiet moment, one envelope per burst. */
const RECEIPT_DELAY_MS = 250;
/** Notifications look at the latest messages only (history caught up is not news). */
const NOTICE_WINDOW = 20;

export type Delivery =
  | { state: "local" }
  /** At the relay for the members it did not reach yet, but (`notQueued`) these, by name. */
  | { state: "relay"; notQueued?: readonly string[] }
  /**
   * The relay queued it for no one: every member it did not reach yet had a full mailbox
   * there (PARTIAL_ACK). They get it from a member once they have room and ask.
   */
  | { state: "notQueued"; names: readonly string[] }
  /**
   * Nobody else is in the space: nobody else has it yet (it went no further than this
   * user's own other devices, if they have any).
   */
  | { state: "alone" }
  | { state: "delivered"; to: number; of: number; notQueued?: readonly string[] };

export interface Backlog {
  readonly user: string;
  readonly name: string;
  readonly since: number;
  readonly waiting: number;
}

export class ChatModel implements ToolModel {
  /** The chat's messages, read as they change rather than all at every update. */
  private readonly index: MessageIndex;
  /**
   * For each queued outbox entry (msgId hex) of this space, the messages its
   * envelope posts, edits or deletes: read from the envelopes themselves, so a
   * restart with messages still waiting shows them "Local only" as before it,
   * and an edit or delete waiting here is not shown as the "Delivered" its
   * message's first version earned.
   */
  private readonly pendingPosts = new Map<string, string[]>();
  private local: { queued: ReadonlySet<string>; version: number; ids: Set<string> } | undefined;
  private pendingVersion = 0;
  private receiptTimer: ReturnType<typeof setTimeout> | undefined;
  /** Chat writes one at a time: a message's number is drafted from the doc before it is signed. */
  private writes: Promise<void> = Promise.resolve();
  private readonly onRemote = () => this.scheduleReceipt();
  /**
   * Per message (id), the devices the relay could not queue its latest version for, their
   * mailboxes full (PARTIAL_ACK). Kept for this run: after a restart the message says "At
   * relay" again until receipts come.
   */
  private readonly notQueued = new Map<string, Set<string>>();
  private readonly onNotQueued = (sent: NotQueued) => this.tookNotQueued(sent);

  constructor(private readonly ctx: SpaceContext) {
    this.index = new MessageIndex(ctx.doc);
    ctx.member.space.on("remoteChange", this.onRemote);
    ctx.engine.relay?.on("notQueued", this.onNotQueued);
  }

  messages(): ChatMessage[] {
    return this.index.messages();
  }

  async send(text: string): Promise<void> {
    const trimmed = text.trim();
    if (trimmed.length === 0) return;
    const { me } = this.ctx;
    const mentions = findMentions(
      trimmed,
      this.ctx.members().filter((m) => !m.me),
    );
    const id = randomId();
    await this.write(
      (doc) =>
        draftPost(doc, {
          id,
          author: me.user,
          device: me.device,
          name: me.name(),
          at: Date.now(),
          text: trimmed,
          mentions,
        }),
      true,
    );
  }

  editMessage(id: string, text: string): Promise<void> {
    // Its new version goes out whole: the relay's word on the last one no longer holds.
    this.notQueued.delete(id);
    return this.write((doc) => draftEdit(doc, id, this.ctx.me.user, text.trim(), Date.now()), true);
  }

  deleteMessage(id: string): Promise<void> {
    this.notQueued.delete(id);
    return this.write((doc) => draftDelete(doc, id, this.ctx.me.user, Date.now()), true);
  }

  /** Drafts a message record from the doc, signs it with this device's key, and writes it. */
  private write(draft: (doc: Y.Doc) => ChatMessage | undefined, track = false): Promise<void> {
    const write = this.writes.then(async () => {
      const { space } = this.ctx.member;
      const record = draft(space.doc);
      if (!record) return;
      const signed = await this.ctx.sign("chat-message", "", record);
      await space.edit((doc) => putMessage(doc, signed));
      // A message just sent (or rewritten) shows as waiting now, not at the next outbox change.
      if (track) {
        await this.ctx.outboxChanged();
        this.ctx.bump();
      }
    });
    // The caller gets the failure; the next write only waits for this one.
    this.writes = whenSettled(write);
    return write;
  }

  /** Whether a message was signed by a device of its named author; undefined while checking. */
  authenticity(m: ChatMessage): Authenticity | undefined {
    return this.ctx.verifier.verdict("chat-message", "", m, m.author);
  }

  /** What happened to one of this device's messages, given the outbox as it stands. */
  delivery(message: ChatMessage, queued: ReadonlySet<string>): Delivery {
    if (this.localOnly(queued).has(message.id)) return { state: "local" };
    // Viewers write nothing, receipts included: they cannot be counted. A member who has
    // left keeps counting for what they received before: delivery never goes backwards.
    const { doc, me } = this.ctx;
    const readers = this.ctx
      .members()
      .filter((m) => !m.me && m.role !== "viewer")
      .map((m) => m.user);
    const past = receiptReaders(doc).filter((u) => u !== me.user && !readers.includes(u));
    const to = deliveredTo(doc, message, [...readers, ...past], this.ctx.trust);
    const missed = this.notQueuedFor(message, to);
    const notQueued = missed.length > 0 ? { notQueued: missed } : {};
    if (to.length === 0) {
      // With nobody else in the space it went to nobody else (at most this user's own other
      // devices): a later joiner gets it from a member.
      if (!this.ctx.members().some((m) => !m.me)) return { state: "alone" };
      // Nothing of it is at the relay when every member it has not reached was refused there.
      if (missed.length > 0 && missed.length === readers.length) {
        return { state: "notQueued", names: missed };
      }
      return { state: "relay", ...notQueued };
    }
    const departed = to.filter((u) => !readers.includes(u)).length;
    return { state: "delivered", to: to.length, of: readers.length + departed, ...notQueued };
  }

  /**
   * Names of the members (writers, not yet holding it by receipt) for whom the relay queued
   * this message on none of their devices, their mailboxes full.
   */
  private notQueuedFor(message: ChatMessage, holders: readonly string[]): string[] {
    const devices = this.notQueued.get(message.id);
    if (!devices) return [];
    return this.ctx
      .members()
      .filter(
        (m) =>
          !m.me &&
          m.role !== "viewer" &&
          !holders.includes(m.user) &&
          m.devices.length > 0 &&
          m.devices.every((d) => devices.has(d)),
      )
      .map((m) => m.name);
  }

  /**
   * The relay could not queue one of this device's sends for some targets: the messages it
   * posts or rewrites (in this space) were not queued for them. An edit or delete of the
   * message starts it afresh; a receipt from them counts over it.
   */
  private tookNotQueued(sent: NotQueued): void {
    const written = this.writtenIn(sent.envelope);
    if (written.length === 0) return;
    const devices = new Set(sent.full.map((t) => toHex(t.device)));
    for (const id of written) this.notQueued.set(id, devices);
    this.ctx.bump();
  }

  /** The messages one of this device's own envelopes of this space posts or rewrites. */
  private writtenIn(envelope: Uint8Array): string[] {
    if (!namesSpace(envelope, this.ctx.member.access.spaceId)) return [];
    const update = this.ctx.member.space.ownUpdate(envelope);
    return update ? messagesWrittenIn(update) : [];
  }

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
      // Another space's entry writes nothing here: kept as such, so it is read once.
      const posted = this.writtenIn(entry.envelope);
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
    if (!this.ctx.canWrite || this.receiptTimer) return;
    this.receiptTimer = setTimeout(() => {
      this.receiptTimer = undefined;
      // In a catch-up, one receipt once it is over: each one is an envelope sealed, queued and
      // logged in the space's queue, which held the next deliveries back every 250 ms.
      if (this.ctx.catchingUp() !== undefined) return this.scheduleReceipt();
      void this.writeReceipt().catch(noted("RECEIPT", "writing this device's chat receipt"));
    }, RECEIPT_DELAY_MS);
  }

  private async writeReceipt(): Promise<void> {
    const { doc, me, trust } = this.ctx;
    // The last receipt counts only once checked: wait for its verdict before judging.
    if (!receiptDue(doc, me.user, trust)) return;
    await this.ctx.verifier.idle();
    if (!receiptDue(doc, me.user, trust)) return;
    const draft = draftReceipt(doc, me.user, me.device, Date.now(), trust);
    const signed = await this.ctx.sign("chat-receipt", "", draft);
    this.ctx.member.space.type((d) => putReceipt(d, signed));
  }

  /**
   * Members none of whose devices has acknowledged anything for `days` while messages waited for
   * them (Groove's "stale member"), longest first, for managers to remind or remove. Viewers
   * write no receipts, so they are never judged by them.
   */
  staleMembers(days: number, now = Date.now()): Backlog[] {
    return this.backlogs()
      .filter((b) => now - b.since >= days * DAY_MS)
      .sort((a, b) => a.since - b.since);
  }

  /**
   * Who has messages waiting for them and since when; read once per change of the doc (or of
   * the records' verdicts), however often the clock or the threshold asks.
   */
  private backlogs(): Backlog[] {
    return this.ctx.cached("backlogs", () => {
      const list = this.messages();
      const out: Backlog[] = [];
      for (const m of this.ctx.members()) {
        if (m.me || m.role === "viewer") continue;
        const backlog = backlogOf(this.ctx.doc, list, m.user, this.ctx.trust);
        if (backlog.waiting === 0 || backlog.waitingSince === undefined) continue;
        // Silent since their last receipt, or, with none, since the first message that waits,
        // but never since before they were let in: history older than their membership is not
        // their silence.
        const since = Math.max(
          backlog.lastReceipt ?? 0,
          backlog.waitingSince,
          admittedAt(this.ctx.member, m.user) ?? 0,
        );
        out.push({ user: m.user, name: m.name, since, waiting: backlog.waiting });
      }
      return out;
    });
  }

  unread(readAt: number): number {
    const me = this.ctx.me.user;
    let n = 0;
    for (const m of this.messages()) if (m.author !== me && m.at > readAt && !m.deleted) n++;
    return n;
  }

  lastActivity(): number {
    return this.messages().at(-1)?.at ?? 0;
  }

  /**
   * Whether a message is its named author's (signed by one of their devices). Told outside the
   * chat, where no "Not signed by" line stands beside it, only such a message carries the
   * author's name: a member's modified client can write any name into a record. Undefined
   * verdicts (still checking) count as not yet: the client is told when they settle.
   */
  private theirs(m: ChatMessage): boolean {
    return this.ctx.trust.holds("chat-message", "", m, m.author);
  }

  search(matches: (text: string) => boolean): ToolHit[] {
    const list = this.messages();
    const { trust } = this.ctx;
    // One found not to be signed by its named author is still found, but not under their
    // name; one still being checked is named as the chat names it meanwhile (no warning yet),
    // and the client is told when the verdicts settle.
    const notTheirs = { ...trust, nameOf: (u: string) => `someone, in ${trust.nameOf(u)}'s name` };
    const doubted = (m: ChatMessage) => {
      const verdict = this.authenticity(m);
      return verdict === "forged" || verdict === "unsigned";
    };
    // Only the messages that match are checked: a search starts no check of the whole chat.
    const found = list.filter((m) => !m.deleted && matches(m.text));
    const all = () => true;
    return [
      ...chatHits(
        found.filter((m) => !doubted(m)),
        trust,
        all,
      ),
      ...chatHits(found.filter(doubted), notTheirs, all),
    ];
  }

  notices(since: number, space: string): Notice[] {
    const me = this.ctx.me.user;
    return this.messages()
      .slice(-NOTICE_WINDOW)
      .filter((m) => m.at >= since && m.author !== me && this.theirs(m))
      .map((m) => chatNotice(m, this.ctx.nameOf(m.author), space, m.mentions.includes(me)));
  }

  activity(since: number): ActivityItem[] {
    const list = this.messages().filter((m) => m.at > since && this.theirs(m));
    return chatActivity(list, this.ctx.me.user, (u) => this.ctx.nameOf(u), since);
  }

  close(): void {
    clearTimeout(this.receiptTimer);
    this.ctx.engine.relay?.off("notQueued", this.onNotQueued);
    this.ctx.member.space.off("remoteChange", this.onRemote);
    this.index.destroy();
  }
}
