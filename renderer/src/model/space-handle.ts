/**
 * One open space as the UI sees it: its MemberSpace, the presence and
 * whereabouts of its members, its membership as this user sees it, and one
 * model per tool of the registry it is given. It knows tools only through
 * that registry (tool-plugin.ts): search, unread counts, activity and
 * notifications are asked of every tool's model alike. Opened with a summary
 * that holds (space-summary.ts), it is listed from it until `load` (asked for
 * anything else, at a remote change, or after the list's first paint).
 */
import type * as Y from "yjs";
import { fromHex, toHex } from "../../../core/crypto/bytes.js";
import { noted } from "../../../core/diagnostics/recent-errors.js";
import { displayName } from "../../../core/membership/display-name.js";
import type { MemberSpace } from "../../../core/membership/member-space.js";
import { PresenceAnnouncer } from "../../../core/membership/presence.js";
import { Whereabouts } from "../../../core/membership/whereabouts.js";
import { manages, type Role } from "../../../core/space/access.js";
import type { SpaceSummary } from "../../../core/space/space-summary.js";
import type { RecordTrust } from "../../../core/space/tools/signed-records.js";
import type { AppSyncEngine } from "../../../core/sync/links.js";
import type { OutboxEntry } from "../../../core/sync/outbox.js";
import { type ActivityItem, membershipActivity, newestFirst } from "./activity.js";
import { ArrivalBurst } from "./arrival-burst.js";
import { caretsOf, type NamedPlace, othersWhere } from "./places.js";
import { refusalWords } from "./refusal-words.js";
import { type Me, type MemberView, SpaceContext } from "./space-context.js";
import { type Departure, departureOf, outstandingInvites, pendingJoins } from "./space-members.js";
import {
  type Notice,
  type ToolHit,
  ToolMissingError,
  type ToolModel,
  type ToolPlugin,
  type ToolRegistry,
} from "./tool-plugin.js";

export type { MemberView } from "./space-context.js";

export interface SpaceHandleOptions {
  readonly member: MemberSpace;
  readonly engine: AppSyncEngine;
  readonly me: Me;
  /** The tools this space runs, in tab order. */
  readonly tools: ToolRegistry;
  /** Tells the client something changed (coalesced there into one render per frame). */
  readonly changed: () => void;
  /** Has the client list the outbox again; the listing comes back to `notePending`. */
  readonly outboxChanged: () => Promise<void>;
  /** A summary that holds for the space as opened: listed from it until loaded. */
  readonly summary?: SpaceSummary;
}
type Tools = readonly { readonly plugin: ToolPlugin; readonly model: ToolModel }[];

/** A tool's search hit with the tool's label. */
export interface SpaceHit extends ToolHit {
  readonly tool: string;
}

export class SpaceHandle {
  readonly id: string;
  readonly member: MemberSpace;
  readonly presence: PresenceAnnouncer;
  /** Who has which tool and note open, and their carets (presence payload version 2). */
  readonly whereabouts: Whereabouts;
  private readonly context: SpaceContext;
  private readonly registry: ToolRegistry;
  /** Made at load; until then the space is `listed` from its summary, outbox listings kept. */
  private models: Tools | undefined;
  private listed: SpaceSummary | undefined;
  private pendingBeforeLoad: readonly OutboxEntry[] | undefined;
  private readonly me: Me;
  private readonly offAccess: () => void;
  private readonly onBump = () => this.context.bump();
  /**
   * After each transaction that changed the doc. Not the "update" event: a listener there has
   * Yjs encode every transaction as an update, remote batches included, which cost about as
   * much as applying them.
   */
  private readonly onTransaction = (tr: Y.Transaction) => {
    if (tr.changed.size > 0 || tr.deleteSet.clients.size > 0) this.context.bump(tr.origin);
  };
  /** The doc changed (under the summary, if listed: from now on the tools' own figures). */
  private readonly onRemote = () => {
    if (!this.models) this.load();
    this.arrivals.note(this.member.space.stats.accepted);
  };
  private readonly arrivals = new ArrivalBurst(() => this.context.bump());

  constructor(options: SpaceHandleOptions) {
    const { member, engine } = options;
    this.member = member;
    this.me = options.me;
    this.id = member.space.id;
    this.presence = PresenceAnnouncer.forMemberSpace(member, { engine });
    this.presence.on("change", this.onBump);
    this.whereabouts = new Whereabouts({
      space: member.space,
      userOf: (device) => member.access.userOf(device),
      device: member.access.device,
      presence: this.presence,
    });
    this.whereabouts.on("change", this.onBump);
    this.context = new SpaceContext(
      member,
      engine,
      options.me,
      this.whereabouts,
      options.changed,
      options.outboxChanged,
      () => this.catchingUp(),
    );
    this.registry = options.tools;
    this.listed = options.summary;
    if (!this.listed) this.load();
    member.space.on("remoteChange", this.onRemote);
    let wasMember = member.access.isMember();
    this.offAccess = member.access.onChange(() => {
      // Just let in: say so now, not at the next heartbeat (before, there was nobody to tell).
      if (!wasMember && member.access.isMember() && this.presence.started) {
        void this.presence
          .setStatus(this.presence.currentStatus)
          .catch(noted("PRESENCE", "announcing this device once let in"));
      }
      wasMember = member.access.isMember();
      this.context.verifier.recheckUnknownDevices();
      this.context.bump();
    });
  }

  /** The tools of this space, in tab order, each with its model (loading the space first). */
  get tools(): Tools {
    return this.models ?? this.load();
  }

  /** Listed from its summary: its doc not built, no tool model made. */
  get waiting(): boolean {
    return this.models === undefined;
  }

  /** Builds the doc and the tools' models, if not yet done; the tools. */
  load(): Tools {
    if (this.models) return this.models;
    this.listed = undefined;
    const models = this.registry.map((plugin) => {
      return { plugin, model: plugin.create(this.context.forTool(plugin.id)) };
    });
    this.models = models;
    this.member.space.doc.on("afterTransaction", this.onTransaction);
    const pending = this.pendingBeforeLoad;
    if (pending) for (const { model } of models) model.notePending?.(pending);
    this.context.bump();
    return models;
  }

  /** The model of `plugin` in this space; a typed error when the client runs without it. */
  tool<M extends ToolModel>(plugin: ToolPlugin<M>): M {
    // The registry made this model with this very plug-in's `create`.
    return this.model(plugin.id) as M;
  }

  /** A tool's model by its id, for code that cannot hold the plug-in (a bench's page script). */
  model(id: string): ToolModel {
    const found = this.tools.find((t) => t.plugin.id === id);
    if (!found) throw new ToolMissingError(id);
    return found.model;
  }

  /** Changes taken in the current catch-up, while one runs (more than a handful in a row). */
  catchingUp(): number | undefined {
    return this.arrivals.shown();
  }

  /** Changes with every update of the space, for memoized views. */
  get revision(): number {
    return this.context.revision;
  }

  get name(): string {
    const { listed, member } = this;
    const raw = listed ? listed.name : member.name || member.invitation?.spaceName || "";
    return displayName(raw) || "Untitled space";
  }

  /** Whom a joiner waiting to be let in compares safety numbers with. */
  inviter(): { user: string; name: string } | undefined {
    const inv = this.member.invitation;
    if (!inv?.inviter) return undefined;
    return { user: toHex(inv.inviter.user), name: displayName(inv.inviterName) };
  }

  get isMember(): boolean {
    return this.member.access.isMember();
  }

  /** For a device waiting to be let in: why it will not be, in words, once a manager said so. */
  get refusal(): string | undefined {
    const refused = this.member.access.refusal;
    return refused && refusalWords(refused.reason, refused.inviterName);
  }

  /** Not a member any more: who took this user out, when. Undefined while waiting to be let in. */
  departure(): Departure | undefined {
    if (this.isMember) return undefined;
    return departureOf(this.member, this.me, (u) => this.nameOf(u));
  }

  get myRole(): Role | undefined {
    return this.context.myRole;
  }

  get canManage(): boolean {
    return manages(this.myRole);
  }

  get canWrite(): boolean {
    return this.context.canWrite;
  }

  members(): MemberView[] {
    return this.context.members();
  }

  pendingJoins() {
    return pendingJoins(this.member);
  }

  outstandingInvites(now = Date.now()) {
    return outstandingInvites(this.member, (u) => this.nameOf(u), now);
  }

  /** How many joins wait for this user's answer: none unless they may give one. */
  waitingForMe(): number {
    return this.isMember && this.canManage ? this.pendingJoins().length : 0;
  }

  /** What the tools' readers ask about records and people in this space. */
  get trust(): RecordTrust {
    return this.context.trust;
  }

  /** A user's name as the membership knows it (never as a record names itself). */
  nameOf(user: string): string {
    return this.context.nameOf(user);
  }

  // --- asked of every tool alike

  /** Unread items by others after `readAt`, over every tool. */
  unread(readAt: number): number {
    if (this.listed?.readAt === readAt) return this.listed.unread;
    return this.context.cached(
      "unread",
      () => this.tools.reduce((n, { model }) => n + (model.unread?.(readAt) ?? 0), 0),
      readAt,
    );
  }

  /** When anything was last written in a tool that keeps a time (0 for never). */
  lastActivity(): number {
    if (this.listed) return this.listed.lastActivity;
    return this.tools.reduce((last, { model }) => Math.max(last, model.lastActivity?.() ?? 0), 0);
  }

  /** Hits in every tool, each with its tool's label (unsorted). */
  search(matches: (text: string) => boolean): SpaceHit[] {
    return this.tools.flatMap(({ plugin, model }) =>
      (model.search?.(matches) ?? []).map((hit) => ({ ...hit, tool: plugin.label })),
    );
  }

  /** What every tool would tell this user about, after `since` (listed: nothing arrived). */
  notices(since: number): Notice[] {
    if (!this.models) return [];
    return this.tools.flatMap(({ model }) => model.notices?.(since, this.name) ?? []);
  }

  /** What others did here after `since`, newest first, from this device's replica. */
  activity(since: number): ActivityItem[] {
    return this.context.cached(
      "activity",
      () =>
        newestFirst([
          ...this.tools.flatMap(({ model }) => model.activity?.(since) ?? []),
          ...membershipActivity(
            { me: this.me.user, nameOf: (u) => this.nameOf(u), log: this.member.log },
            since,
          ),
        ]),
      since,
    );
  }

  /** Every tool takes the outbox as it stands; true when one learned something new. */
  notePending(entries: readonly OutboxEntry[]): boolean {
    this.pendingBeforeLoad = entries;
    if (!this.models) return false;
    let learned = false;
    for (const { model } of this.tools)
      learned = (model.notePending?.(entries) ?? false) || learned;
    return learned;
  }

  // --- where people are

  /** This device's user (hex). */
  get myUser(): string {
    return this.me.user;
  }

  /** The tool open in this space's view ("" when the view closes); a note open in it stays. */
  setTool(tool: string): void {
    if (this.whereabouts.current.tool === tool) return;
    this.whereabouts.setPlace(tool);
  }

  /** Everyone else here now, where they are (one entry per user: their latest-heard device). */
  whoIsWhere(): NamedPlace[] {
    return othersWhere(this.whereabouts.places(), this.me.user, (u) => this.nameOf(u));
  }

  /** Carets of other devices in one note. */
  caretsIn(note: string): NamedPlace[] {
    return caretsOf(this.whereabouts.places(), note, this.me.device, (u) => this.nameOf(u));
  }

  /** User (hex) behind a device (hex), if a member's. */
  userOfDevice(device: string): string | undefined {
    return this.member.access.userOf(fromHex(device));
  }

  rename(name: string): Promise<void> {
    this.load();
    return this.member.space.edit((doc) => doc.getMap("meta").set("name", name.trim()));
  }

  /** Stops listening and announcing (the space is left); the engine closes the space itself. */
  async close(): Promise<void> {
    this.arrivals.stop();
    this.offAccess();
    for (const { model } of this.models ?? []) await model.close?.();
    if (this.models) this.member.space.doc.off("afterTransaction", this.onTransaction);
    this.member.space.off("remoteChange", this.onRemote);
    this.presence.off("change", this.onBump);
    this.whereabouts.off("change", this.onBump);
    await this.whereabouts.close().catch(noted("CLOSE", "closing a space's whereabouts"));
    await this.presence.stop().catch(noted("CLOSE", "stopping a space's presence"));
  }
}
