/**
 * A space on one device: the content Y.Doc and the envelopes that built it.
 *
 * Local edits leave as signed, encrypted envelopes at human scale: `edit`
 * (a chat message, a task ticked) seals one envelope now; `type` (text
 * typing) is batched and sealed after a pause. Remote envelopes are checked
 * (signature or hash chain, member and role, seq) before their update
 * touches the doc; rejects are counted by reason and reported, never applied.
 *
 * On disk the accepted envelopes of one received batch are one log record,
 * the same bytes as on the wire (space-log.ts), and `receive` resolves only
 * once it is durable, so nothing is acked before it is on disk. Every
 * `compactEvery` envelopes the doc is checkpointed and the records behind it
 * are deleted, so the log does not grow without bound. Those deletes need not
 * survive a crash: a record back after one is behind the checkpoint, and the
 * ledger drops its envelopes as duplicates.
 *
 * Ephemeral envelopes (presence) are the exception: sealed in the addressed
 * chain and sent best effort, never logged, never applied to the doc. A
 * received one is verified like any other, its seq taken in the ledger (so
 * a replay is refused), and its payload handed to the "ephemeral" listeners.
 * Since the log cannot tell a restarted writer which addressed seqs those
 * used, the writer reserves them on disk in blocks (seq-reserve.ts).
 */

import { ObservableV2 } from "lib0/observable";
import * as Y from "yjs";
import { bytesKey, concatBytes, equalBytes, toHex, utf8 } from "../crypto/bytes.js";
import type { Ed25519Backend } from "../crypto/ed25519.js";
import { envelopeHash, openAuthenticated } from "../crypto/envelope.js";
import { EnvelopeWriter } from "../crypto/envelope-writer.js";
import { CryptoError } from "../crypto/errors.js";
import { openDecodedBatch } from "../crypto/hash-chain.js";
import type { SigningKeyPair } from "../crypto/identity.js";
import { loadWebAssemblyBackends } from "../crypto/webassembly-backends.js";
import { noted, whenSettled } from "../diagnostics/recent-errors.js";
import { type Store, StoreError } from "../store/store.js";
import {
  type DecodedEnvelope,
  decodeEnvelope,
  EnvelopeKind,
  type EnvelopeStream,
  peekKind,
  streamOf,
} from "../wire/envelope.js";
import { DecodeError } from "../wire/errors.js";
import type { SpaceAccess } from "./access.js";
import { chainPositions } from "./chain-positions.js";
import type { EnvelopeOpener, Prefetched } from "./prefetch-opener.js";
import { RateLimiter } from "./rate-limiter.js";
import { SeqLedger } from "./seq-ledger.js";
import {
  decodeSeqReserve,
  encodeSeqReserve,
  SEQ_RESERVE_BLOCK,
  seqReserveKey,
} from "./seq-reserve.js";
import {
  decodeCheckpoint,
  decodeSyncAnswer,
  decodeSyncRequest,
  encodeCheckpoint,
  encodeSyncAnswer,
  encodeSyncRequest,
  type Floors,
  type SyncRequest,
} from "./space-codecs.js";
import { asCorrupt, logPrefix, logRecord, logRecords, readLog } from "./space-log.js";
import { checkpointKey } from "./space-records.js";

/** Transaction origin of updates that came from envelopes (not sealed again). */
export const REMOTE = Symbol("remote");
/**
 * Transaction origin of `type`: an editor has already shown the change, so a
 * view of the doc can take it in when the page is idle, not in the keystroke.
 */
export const TYPING = Symbol("typing");

export interface Outgoing {
  envelope: Uint8Array;
  kind: EnvelopeKind;
  /** Device keys to send to; undefined means every other member device. */
  to?: Uint8Array[];
  /**
   * Presence and the like: best effort to the targets online now, never
   * queued, stored or retried; `dispatch` resolves without waiting for it.
   */
  ephemeral?: true;
  /** Longest the relay keeps it for a target (seconds); the relay's default when absent. */
  ttlSeconds?: number;
}

/** How long typing is gathered before it is sealed: after `idleMs` quiet, `maxMs` at most. */
export interface TypingBatch {
  idleMs: number;
  maxMs: number;
}

export interface SpaceOptions {
  access: SpaceAccess;
  device: SigningKeyPair;
  backend: Ed25519Backend;
  store: Store;
  /**
   * Hands a sealed envelope to the transports; resolves once it is durably
   * queued there (the outbox), so a crash after it cannot lose the edit.
   */
  dispatch(out: Outgoing): Promise<void>;
  /** Own envelopes still queued from before a restart (from the outbox). */
  unsent?: Uint8Array[];
  /** Idle time after typing before the batch is sealed (ms). */
  batchMs?: number;
  /** Longest a typing batch is held, however fast the typing (ms). */
  maxBatchMs?: number;
  /**
   * A shorter typing batch for now, when there is one: while every member
   * is reachable directly, each envelope costs the relay nothing, so typing
   * can leave within a frame instead of after a pause.
   */
  typingBatch?: () => TypingBatch | undefined;
  /**
   * Checkpoint the doc after at least this many logged envelopes, once they
   * also outweigh the last checkpoint (so checkpointing a large doc stays
   * rare: its cost is spread over as many bytes of log).
   */
  compactEvery?: number;
  /**
   * A due checkpoint waits until the space has been quiet this long (ms), so
   * a catch-up is not slowed by re-encoding the doc again and again. Past
   * COMPACT_FORCE_FACTOR x compactEvery it runs at once.
   */
  compactIdleMs?: number;
  /**
   * Applies the checkpoint and log to the doc at its first use (`doc`, or
   * `loadDoc`), not at open: a launch can list spaces from their summaries
   * (space-summary.ts) and load the docs after the list's first paint. The
   * rest of the open (ledger, writers, unsent envelopes) happens at once.
   */
  deferDoc?: boolean;
  /**
   * Opens received envelopes, starting as each batch is received (a Web
   * Worker in the renderer, prefetch-opener.ts); `openDecodedBatch` on this
   * thread without one.
   */
  opener?: EnvelopeOpener;
}

export type RejectReason =
  | CryptoError["code"]
  | DecodeError["code"]
  | "BAD_PAYLOAD"
  /** A membership or welcome payload the membership refused (undecodable, or it threw). */
  | "BAD_MEMBERSHIP"
  | "WELCOME_NOT_FROM_MEMBER"
  /** Presence from a device that may not send it: dropped before its signature is checked. */
  | "EPHEMERAL_NOT_MEMBER"
  /** Presence over its author's rate: dropped before its signature is checked. */
  | "EPHEMERAL_RATE";

export interface SpaceStats {
  accepted: number;
  /** Envelopes already taken in (replays, or the same delta by two paths): dropped quietly. */
  duplicates: number;
  /** Ephemeral envelopes taken in (verified, handed to listeners, not logged): not in `accepted`. */
  ephemeral: number;
  rejected: Partial<Record<RejectReason, number>>;
}

type Events = {
  /** A remote envelope that was refused, with the reason. */
  rejected: (error: CryptoError | DecodeError, author: Uint8Array | undefined) => void;
  /**
   * A verified envelope under an epoch this device holds no key for (after
   * `rejected`): its author signed it, so membership may answer it (a join
   * under an invite that has closed is told why).
   */
  unknownEpoch: (author: Uint8Array, epoch: number, kind: EnvelopeKind) => void;
  /** The doc changed because of remote envelopes. */
  remoteChange: () => void;
  /**
   * A verified ephemeral envelope (presence): its author device and payload.
   * Never logged or applied; listeners must not throw.
   */
  ephemeral: (author: Uint8Array, payload: Uint8Array) => void;
  /** A background checkpoint failed; the log stays and the next one tries again. */
  compactionFailed: (error: unknown) => void;
};

/** What applying a payload leaves to do: a request to answer, floors to raise once on disk. */
interface Applied {
  request?: SyncRequest;
  floors?: Floors;
}
/** Log records deleted per store call at compaction (one IndexedDB transaction each). */
const DELETE_CHUNK = 1000;
/** A log this many times `compactEvery` is checkpointed even while envelopes keep coming. */
const COMPACT_FORCE_FACTOR = 16;
/** Log writes in flight at once (see `commit`). */
const COMMIT_LANES = 2;

export class Space extends ObservableV2<Events> {
  private readonly content = new Y.Doc();
  /** With `deferDoc`: applies what the open read to the doc, at the doc's first use. */
  private deferredDoc: (() => void) | undefined;
  /** Own updates being sealed: the doc holds them before the ledger does. */
  private sealing = 0;
  readonly stats: SpaceStats = { accepted: 0, duplicates: 0, ephemeral: 0, rejected: {} };
  readonly id: string;
  /** Records on disk that could not be read at open; the rest of the space loaded. */
  readonly corruptRecords: StoreError[] = [];
  private ledger = new SeqLedger();
  private writers!: Record<EnvelopeStream, EnvelopeWriter>;
  private pending: Uint8Array[] = [];
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  private batchStarted = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** Envelopes logged since the last checkpoint, and their bytes. */
  private records = 0;
  private loggedBytes = 0;
  private checkpointBytes = 0;
  private compactTimer: ReturnType<typeof setTimeout> | undefined;
  /** The highest addressed seq reserved on disk (seq-reserve.ts). */
  private reservedSeq = 0;
  private closed = false;
  /** (author, chain, seq) of received envelopes whose log write is in flight, and that write. */
  private readonly writing = new Map<string, Promise<void>>();
  /** Log writes in flight; a checkpoint waits for them, so its ledger covers what it holds. */
  private readonly writes = new Set<Promise<void>>();
  /** Log records waiting for a write lane to come free (see `commit`). */
  private readonly toCommit: {
    record: [string, Uint8Array];
    resolve: () => void;
    reject: (err: unknown) => void;
  }[] = [];
  /** Write lanes busy (see `commit`). */
  private committing = 0;
  /** Writes the batch being taken found copies of its envelopes in (see `taken`). */
  private awaitedWrites: Promise<void>[] | undefined;
  /** Presence per author device: a burst of 20, then 5 a second (heartbeats come every 20 s). */
  private readonly ephemeralRate = new RateLimiter({ burst: 20, perSecond: 5 });
  private readonly onLocalUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin !== REMOTE) this.pending.push(update);
  };

  private constructor(private readonly options: SpaceOptions) {
    super();
    this.id = toHex(options.access.spaceId);
    this.content.on("update", this.onLocalUpdate);
  }

  /** The content doc; with `deferDoc`, what the open read is applied at its first use. */
  get doc(): Y.Doc {
    if (this.deferredDoc) this.loadDoc();
    return this.content;
  }

  /** False while the open's checkpoint and log wait to be applied (`deferDoc`). */
  get docLoaded(): boolean {
    return this.deferredDoc === undefined;
  }

  /** Applies what the open read to the doc now, if that waits (`deferDoc`). */
  loadDoc(): void {
    const apply = this.deferredDoc;
    if (!apply) return;
    this.deferredDoc = undefined;
    apply();
  }

  /**
   * What the doc is built from, as a string to compare: every broadcast chain
   * taken (each update envelope, own ones included). A summary of the doc
   * kept with its mark (space-summary.ts) holds for a later open whose mark
   * is the same. Undefined while changes are in the doc but not yet in the
   * ledger (typing not sealed, an update being sealed, a log write in
   * flight), when no mark would be honest.
   */
  stateMark(): string | undefined {
    if (this.pending.length > 0 || this.batchTimer !== undefined || this.sealing > 0) {
      return undefined;
    }
    if (this.writes.size > 0 || this.toCommit.length > 0) return undefined;
    const chains = this.ledger
      .entries()
      .filter((e) => e.stream === "broadcast")
      .map((e) => `${e.author}:${e.floor}:${e.above.join(",")}`)
      .sort();
    return chains.join(";");
  }

  static async open(options: SpaceOptions): Promise<Space> {
    // The faster cipher and hash before the first envelope (the same bytes as the portable ones).
    await loadWebAssemblyBackends();
    const space = new Space(options);
    await space.load();
    // A log left long by the last run (closed before its space went quiet) is checkpointed
    // once this one is quiet, not only after the next edit: else every launch reads it all.
    await space.maybeCompact();
    return space;
  }

  get access(): SpaceAccess {
    return this.options.access;
  }

  /**
   * Signs a tool record (a chat message) with this device's key, under a
   * context that no envelope, op or login challenge shares, so the
   * signature is good for nothing else.
   */
  signRecord(bytes: Uint8Array): Promise<Uint8Array> {
    return this.options.backend.sign(this.options.device.secretKey, recordSigningInput(bytes));
  }

  /** Checks a `signRecord` signature by `device`. */
  verifyRecord(device: Uint8Array, bytes: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return this.options.backend.verify(device, recordSigningInput(bytes), signature);
  }

  /**
   * The Yjs update inside one of this device's own update envelopes (as
   * its outbox holds them, from the store it wrote them to); undefined for
   * any other envelope, author or space, or one that does not open.
   */
  ownUpdate(envelope: Uint8Array): Uint8Array | undefined {
    try {
      // Whose and what it is first: nothing is decrypted that this device did not write.
      const { header } = decodeEnvelope(envelope);
      if (header.kind !== EnvelopeKind.update) return undefined;
      if (!equalBytes(header.author, this.options.device.publicKey)) return undefined;
      if (!equalBytes(header.spaceId, this.options.access.spaceId)) return undefined;
      return this.openLocal(envelope).payload;
    } catch (err) {
      if (err instanceof DecodeError || err instanceof CryptoError) return undefined;
      throw err;
    }
  }

  /** A discrete change (a message, a ticked task): one envelope, sealed now. */
  edit(change: (doc: Y.Doc) => void): Promise<void> {
    this.doc.transact(() => change(this.doc));
    return this.flush();
  }

  /** Typing: changes are gathered and sealed as one envelope after a pause. */
  type(change: (doc: Y.Doc) => void): void {
    this.doc.transact(() => change(this.doc), TYPING);
    const now = Date.now();
    if (!this.batchTimer) this.batchStarted = now;
    clearTimeout(this.batchTimer);
    const batch = this.options.typingBatch?.() ?? {
      idleMs: this.options.batchMs ?? 300,
      maxMs: this.options.maxBatchMs ?? 1000,
    };
    const wait = Math.min(batch.idleMs, this.batchStarted + batch.maxMs - now);
    // Nobody awaits a timer's flush: its failure (say, the store) is noted; the change stays
    // in the doc and goes with the next sync answer.
    this.batchTimer = setTimeout(
      () => this.flush().catch(noted("TYPING_FLUSH", "sealing changes typed before a pause")),
      Math.max(0, wait),
    );
  }

  /** Seals whatever local change is waiting. */
  flush(): Promise<void> {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    // Nothing pending: still resolves only after the work already queued.
    if (this.pending.length === 0) return this.serial(async () => undefined);
    const update = Y.mergeUpdates(this.pending.splice(0));
    return this.serial(() => this.sealAndSend(EnvelopeKind.update, update));
  }

  /** Asks members (all, or `to`) for whatever this device's doc lacks. */
  requestSync(to?: Uint8Array[]): Promise<void> {
    return this.serial(async () => {
      // A doc still waiting (deferDoc) loads in a task of its own, not in the caller's: a
      // relay coming online asks every space at once, and thirty loads would be one long task.
      if (!this.docLoaded) await new Promise((resolve) => setTimeout(resolve, 0));
      return this.sealAndSend(EnvelopeKind.syncRequest, this.syncRequest(), to);
    });
  }

  /** Broadcast seqs that never arrived, by author. */
  gaps() {
    return this.ledger.gaps();
  }

  /**
   * Takes remote envelopes in: verified, recorded, applied; sync requests
   * answered. Resolves once what was accepted is on disk. Never throws for a
   * bad envelope; a store failure does throw, so the caller does not ack.
   * `taken` is called once the batch is verified and applied and its write
   * started (or it failed): the moment a next batch can be taken. With an
   * opener it is called once the batch is verified, before it is applied, so
   * the next batch is opened on the opener's thread while this one is applied.
   * `ahead` is what `prefetch` gave for these envelopes earlier (the engine
   * prefetches batches waiting behind the one being taken); without it the
   * batch is prefetched now. An envelope it lacks is opened on this thread.
   */
  receive(envelopes: Uint8Array[], taken?: () => void, ahead?: Prefetched): Promise<void> {
    const prefetched = ahead ?? this.prefetchOrNot(envelopes);
    let once = taken;
    const call = () => {
      const first = once;
      once = undefined;
      first?.();
    };
    const run = this.serial(() => this.take(envelopes, prefetched, prefetched && call));
    if (taken) void run.then(call, call);
    return run.then((durable) => durable());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.compactTimer);
    await this.flush();
    await this.serial(async () => {
      // A doc never built with no log since its checkpoint: that checkpoint is this state.
      if (this.docLoaded || this.records > 0) await this.checkpoint();
      // The checkpoint holds the writer's real seq: the next open need not skip past the rest.
      const seq = this.writers.addressed.current.seq;
      if (this.reservedSeq > seq) {
        await this.options.store.put(seqReserveKey(this.id), encodeSeqReserve(seq));
        this.reservedSeq = seq;
      }
    });
    this.closed = true;
    this.content.destroy();
  }

  /**
   * Applies remote changes in one transaction. Yjs encodes every transaction
   * for its "update" listeners, and only local edits need that (to be sealed),
   * so the listener is off meanwhile: re-encoding a caught-up batch cost
   * about as much as applying it.
   */
  private applyRemote(apply: () => void): void {
    this.doc.off("update", this.onLocalUpdate);
    try {
      this.doc.transact(apply, REMOTE);
    } finally {
      this.doc.on("update", this.onLocalUpdate);
    }
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = whenSettled(run);
    return run;
  }

  private syncRequest(): Uint8Array {
    return encodeSyncRequest({
      stateVector: Y.encodeStateVector(this.doc),
      floors: this.ledger.floors(),
    });
  }

  /**
   * Takes in content that came outside any envelope (an open invite's
   * welcome snapshot, checked by its sender's signature) and checkpoints at
   * once, since no log record holds it.
   */
  adoptSnapshot(update: Uint8Array): Promise<void> {
    return this.serial(async () => {
      this.applyRemote(() => Y.applyUpdate(this.doc, update, REMOTE));
      this.emit("remoteChange", []);
      await this.checkpoint();
    });
  }

  /**
   * Sends a membership op or a welcome: to every member, or to `to`; under
   * the current epoch, or under `epoch` (an invite's channel key, which is
   * all a joiner without the space key can open).
   */
  sendMembership(
    kind: typeof EnvelopeKind.membership | typeof EnvelopeKind.welcome,
    payload: Uint8Array,
    options: {
      to?: Uint8Array[];
      epoch?: { epoch: number; key: Uint8Array };
      /** How long the relay may keep it for an offline target (an invite's welcome: its life). */
      ttlSeconds?: number;
    } = {},
  ): Promise<void> {
    return this.serial(() =>
      this.sealAndSend(kind, payload, options.to, options.epoch, options.ttlSeconds),
    );
  }

  /**
   * Sends an ephemeral envelope (presence): sealed under the current epoch in
   * the addressed chain, handed to `dispatch` marked ephemeral, never logged.
   * Does nothing while this device may not author one (a joiner waiting for
   * a manager holds only the invite's channel key), or once closed.
   */
  sendEphemeral(payload: Uint8Array, to?: Uint8Array[]): Promise<void> {
    return this.serial(async () => {
      if (this.closed) return;
      const { access, device, store } = this.options;
      await this.settleKeys();
      const { epoch, key } = access.currentEpoch();
      if (!access.isAllowed(device.publicKey, epoch, EnvelopeKind.ephemeral)) return;
      const writer = this.writers.addressed;
      const seq = writer.current.seq + 1;
      // Reserved on disk before it leaves, so a restart after a crash cannot reuse it.
      if (seq > this.reservedSeq) {
        const reserve = seq + SEQ_RESERVE_BLOCK - 1;
        await store.put(seqReserveKey(this.id), encodeSeqReserve(reserve));
        this.reservedSeq = reserve;
      }
      const envelope = await writer.seal(EnvelopeKind.ephemeral, payload, epoch, key);
      this.ledger.take(device.publicKey, "addressed", seq);
      await this.options.dispatch({
        envelope,
        kind: EnvelopeKind.ephemeral,
        ephemeral: true,
        ...(to ? { to } : {}),
      });
    });
  }

  /** Makes the rotation a departure left owed now, even with nothing to write. */
  rotateIfOwed(): Promise<void> {
    return this.serial(() => this.settleKeys());
  }

  /**
   * A rotation the membership owes (a member left) is authored and sent
   * before anything else is sealed, so nothing is written under a key the
   * departed still hold.
   */
  private async settleKeys(): Promise<void> {
    const owed = await this.options.access.beforeWrite?.();
    if (owed) {
      await this.sealAndSend(EnvelopeKind.membership, owed.payload, owed.to, owed.epoch);
    }
  }

  private async sealAndSend(
    kind: EnvelopeKind,
    payload: Uint8Array,
    to?: Uint8Array[],
    under?: { epoch: number; key: Uint8Array },
    ttlSeconds?: number,
  ) {
    // A closed space's seqs may already be another run's (a tab that took over the profile).
    if (this.closed) throw new SpaceClosedError(this.id);
    // Only an update is in the doc before it is sealed (see `stateMark`).
    const counted = kind === EnvelopeKind.update ? 1 : 0;
    this.sealing += counted;
    try {
      if (kind !== EnvelopeKind.membership && kind !== EnvelopeKind.welcome) {
        await this.settleKeys();
      }
      const { epoch, key } = under ?? this.options.access.currentEpoch();
      const stream = streamOf(kind);
      const envelope = await this.writers[stream].seal(kind, payload, epoch, key);
      // Queued first, then logged: a crash in between is healed from `unsent` at the next open.
      await this.options.dispatch({
        envelope,
        kind,
        ...(to ? { to } : {}),
        ...(ttlSeconds !== undefined && { ttlSeconds }),
      });
      const seq = this.writers[stream].current.seq;
      await this.options.store.put(...logRecord(this.id, [envelope]));
      this.logged([envelope]);
      this.ledger.take(this.options.device.publicKey, stream, seq);
    } finally {
      this.sealing -= counted;
    }
    await this.maybeCompact();
  }

  /**
   * Verifies, decrypts and applies a batch, and starts its log write;
   * returns what waits for that write (ledger, listeners, answers), to run
   * outside the serial queue so the next batch need not wait for the disk.
   */
  private async take(
    envelopes: Uint8Array[],
    prefetched?: Prefetched,
    opened?: () => void,
  ): Promise<() => Promise<void>> {
    this.awaitedWrites = undefined;
    const durable = await this.takeBatch(envelopes, prefetched, opened);
    const earlier = this.awaitedWrites ?? [];
    this.awaitedWrites = undefined;
    return async () => {
      await Promise.all(earlier);
      await durable?.();
    };
  }

  private async takeBatch(
    envelopes: Uint8Array[],
    prefetched?: Prefetched,
    /** Called once the batch is verified, before anything of it is applied. */
    onOpened?: () => void,
  ): Promise<(() => Promise<void>) | undefined> {
    /** Each with its seqId, made once here and carried to the ledger checks and the write. */
    const fresh: Fresh[] = [];
    /**
     * Per (author, chain, seq) the distinct envelopes of this batch that claim it: the one
     * envelope itself while it is the only claim (nearly always), a list from the second on.
     */
    const seen = new Map<string, Uint8Array | Uint8Array[]>();
    /** Whether two envelopes of `fresh` claim one (author, chain, seq): else no id repeats in it. */
    let contested = false;
    for (const bytes of envelopes) {
      let decoded: DecodedEnvelope;
      try {
        decoded = decodeEnvelope(bytes);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        this.reject(err, undefined);
        continue;
      }
      const { kind } = decoded.header;
      // Only what the ledger holds (verified) or the very same bytes count as seen: a forgery
      // naming an author's next seq must not shadow the real envelope in this batch. Both are
      // opened; `distinct` keeps the first that verifies.
      const id = seqId(decoded.header);
      const claims = seen.get(id);
      const repeated =
        claims !== undefined &&
        (claims instanceof Uint8Array
          ? equalBytes(claims, bytes)
          : claims.some((c) => equalBytes(c, bytes)));
      if (this.taken(decoded.header, id) || repeated) {
        this.stats.duplicates++;
        continue;
      }
      if (kind === EnvelopeKind.ephemeral && !this.admitEphemeral(decoded)) continue;
      // Nearly always the first claim: no array is made for the seqs nobody else claims.
      if (claims === undefined) seen.set(id, bytes);
      else {
        if (claims instanceof Uint8Array) seen.set(id, [claims, bytes]);
        else claims.push(bytes);
        contested = true;
      }
      fresh.push({ decoded, id });
    }
    if (fresh.length === 0) return;

    // Membership first: a batch that holds a join and the joiner's first messages is judged
    // with the join already in the log.
    const isOp = ({ decoded: d }: Fresh) =>
      d.header.kind === EnvelopeKind.membership || d.header.kind === EnvelopeKind.welcome;
    const accepted: Opened[] = [];
    for (const item of this.distinct(await this.open(fresh.filter(isOp), prefetched), contested)) {
      // One op or welcome that cannot be taken is refused alone, never the batch behind it.
      try {
        await this.options.access.takeMembership?.(
          item.decoded.header.kind,
          item.payload,
          item.decoded.header.author,
        );
        accepted.push(item);
      } catch (err) {
        if (err instanceof StoreError) throw err;
        this.refuseMembership(err, item.decoded.header.author);
      }
    }
    const rest = await this.open(
      fresh.filter((d) => !isOp(d)),
      prefetched,
    );
    onOpened?.();
    const opened = [...accepted, ...this.distinct(rest, contested)];

    // Ephemeral (presence): handed on at once, never logged nor applied, and not counted
    // toward compaction. The ledger takes the seq now (nothing of it goes to disk), so a
    // replay is refused; the envelopes of the batch that last are logged without it.
    const lasting: typeof opened = [];
    for (const item of opened) {
      const { header } = item.decoded;
      if (header.kind !== EnvelopeKind.ephemeral) {
        lasting.push(item);
        continue;
      }
      this.ledger.take(header.author, "addressed", header.seq);
      this.stats.ephemeral++;
      this.emit("ephemeral", [header.author, item.payload]);
    }
    if (lasting.length === 0) return;

    // Written first, then applied: the records go to the store before the apply, so the disk
    // syncs them while this thread applies the batch (with a store that seals and hands a
    // write over in the same turn, as EncryptedStore over FileStore does in Node), and a
    // catch-up's last write ends about when its last apply does, not a sync after it.
    // Applying a Yjs update twice is harmless, and a record on disk before its apply is
    // applied at the next open. The ledger moves only once the records are on disk (their
    // callback runs after this task, so after the apply), and nothing is acked before that,
    // so a crash or a failed write means a resend, not a loss. Every verified envelope is
    // logged, one whose payload Yjs then refuses included (it is counted and reported below,
    // skipped again at load): its author signed it, and its seq taken means it is not asked
    // for again. The write runs on while the next batch is verified and applied (the serial
    // queue moves on once this one is applied); this batch's receive resolves once it is on
    // disk. Its seqs count as taken for the batches behind it meanwhile, so none is applied
    // or logged twice.
    const applied: { decoded: DecodedEnvelope; result: Applied }[] = [];
    const requests: { author: Uint8Array; stateVector: Uint8Array }[] = [];
    const ids = lasting.map(({ id }) => id);
    const written = this.putRecords(lasting.map(({ decoded }) => decoded)).then(() => {
      for (const { decoded } of lasting) {
        const { header } = decoded;
        this.ledger.take(header.author, streamOf(header.kind), header.seq);
      }
      for (const { result } of applied) {
        for (const [a, floor] of result.floors ?? []) this.ledger.raiseFloor(a, floor);
      }
      this.stats.accepted += applied.length;
    });
    const tracked: Promise<void> = written.finally(() => {
      for (const id of ids) if (this.writing.get(id) === tracked) this.writing.delete(id);
      this.writes.delete(tracked);
    });
    for (const id of ids) this.writing.set(id, tracked);
    this.writes.add(tracked);
    // Reported to the receive that waits on it, not as an unhandled rejection meanwhile.
    void whenSettled(tracked);
    this.applyRemote(() => {
      for (const { decoded, payload } of lasting) {
        const result = this.apply(decoded.header.kind, payload, decoded.header.author);
        if (!result) continue;
        applied.push({ decoded, result });
        if (result.request) {
          requests.push({ author: decoded.header.author, stateVector: result.request.stateVector });
        }
      }
    });
    return async () => {
      await tracked;
      this.emit("remoteChange", []);
      if (requests.length === 0 && !this.compactionDue()) return;
      await this.serial(async () => {
        for (const { author, stateVector } of requests) await this.answer(author, stateVector);
        await this.maybeCompact();
      });
    };
  }

  /** Whether an (author, chain, seq) is taken or on its way to disk. */
  private taken(header: DecodedEnvelope["header"], id: string): boolean {
    const writing = this.writing.get(id);
    if (writing) {
      // A copy of an envelope still on its way to disk: acked only once that write is done.
      this.awaitedWrites ??= [];
      this.awaitedWrites.push(writing);
      return true;
    }
    return this.ledger.has(header.author, streamOf(header.kind), header.seq);
  }

  /**
   * Hands a batch to the opener now, under the current key, so it is opened
   * by its turn; `receive` given the same array and this result opens it
   * from there. Only a head start: everything is checked again at the
   * batch's turn (prefetch-opener.ts), so a batch prefetched long before,
   * under a key or roles that changed since, is taken as any other.
   */
  prefetch(envelopes: Uint8Array[]): Prefetched | undefined {
    const { opener, access } = this.options;
    if (!opener || this.closed) return;
    // A joiner holding only an invite's key has no current epoch yet: opened at its turn.
    let current: { epoch: number; key: Uint8Array };
    try {
      current = access.currentEpoch();
    } catch {
      return;
    }
    // Presence is admitted (membership, rate) before any signature is checked: a flood of it
    // must cost a map lookup at its turn, not a verify here.
    const lasting = envelopes.filter((bytes) => peekKind(bytes) !== EnvelopeKind.ephemeral);
    return opener.prefetch(lasting, { spaceId: access.spaceId, ...current });
  }

  /**
   * A prefetch is only a head start: one that throws leaves the batch to be opened at its
   * turn, and `receive` still calls its `taken` (the engine takes no next batch before it).
   */
  private prefetchOrNot(envelopes: Uint8Array[]): Prefetched | undefined {
    try {
      return this.prefetch(envelopes);
    } catch (err) {
      noted("SYNC_ENGINE", "opening a batch ahead of its turn")(err);
      return undefined;
    }
  }

  /** Verifies and decrypts; refusals are counted and reported, the rest returned. */
  private async open(items: Fresh[], prefetched?: Prefetched): Promise<Opened[]> {
    if (items.length === 0) return [];
    const envelopes = items.map(({ decoded }) => decoded);
    const { access } = this.options;
    const opts = {
      backend: this.options.backend,
      spaceId: access.spaceId,
      keyForEpoch: (epoch: number) => access.keyForEpoch(epoch),
      isAllowed: (author: Uint8Array, epoch: number, kind: EnvelopeKind) =>
        access.isAllowed(author, epoch, kind),
    };
    const { opener } = this.options;
    const results = await (opener && prefetched
      ? opener.open(envelopes, opts, prefetched)
      : openDecodedBatch(envelopes, opts));
    const opened: Opened[] = [];
    items.forEach(({ decoded, id }, i) => {
      // One result per envelope; a missing one is refused, never taken as opened.
      const result = results[i] ?? new CryptoError("BAD_FORMAT", "envelope was not opened");
      if (result instanceof CryptoError) {
        this.reject(result, decoded.header.author);
        // Only UNKNOWN_EPOCH comes after the signature check: the author is who it says.
        const { author, epoch, kind } = decoded.header;
        if (result.code === "UNKNOWN_EPOCH") this.emit("unknownEpoch", [author, epoch, kind]);
      } else opened.push({ decoded, id, payload: result.payload });
    });
    return opened;
  }

  /**
   * Two verified envelopes with one (author, chain, seq): the author signed
   * both (equivocation). The first is taken; the second is a duplicate.
   */
  private distinct<T extends Fresh>(items: T[], contested: boolean): T[] {
    // Ids repeat within `items` only if two were claimed alike; else no set is kept.
    const taken = contested ? new Set<string>() : undefined;
    return items.filter(({ decoded: { header }, id }) => {
      if (taken?.has(id) || this.taken(header, id)) {
        this.stats.duplicates++;
        return false;
      }
      taken?.add(id);
      return true;
    });
  }

  /**
   * Presence from a device that may not send it is dropped before any
   * signature check, and each member's rate is bounded: forged or flooding
   * presence costs a map lookup, not a verify.
   */
  private admitEphemeral(decoded: DecodedEnvelope): boolean {
    const { author, epoch, kind } = decoded.header;
    if (!this.options.access.isAllowed(author, epoch, kind)) {
      this.countDropped("EPHEMERAL_NOT_MEMBER");
      return false;
    }
    if (!this.ephemeralRate.take(bytesKey(author))) {
      this.countDropped("EPHEMERAL_RATE");
      return false;
    }
    return true;
  }

  private countDropped(code: "EPHEMERAL_NOT_MEMBER" | "EPHEMERAL_RATE"): void {
    this.stats.rejected[code] = (this.stats.rejected[code] ?? 0) + 1;
  }

  /** A membership envelope whose payload the membership refused: counted, reported, acked. */
  private refuseMembership(err: unknown, author: Uint8Array): void {
    const code = (err as { code?: unknown }).code;
    const error =
      err instanceof DecodeError
        ? err
        : new DecodeError("MALFORMED", `membership payload refused: ${(err as Error).message}`);
    const reason: RejectReason =
      code === "WELCOME_NOT_FROM_MEMBER" ? "WELCOME_NOT_FROM_MEMBER" : "BAD_MEMBERSHIP";
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1;
    this.emit("rejected", [error, author]);
  }

  /**
   * The log's updates, each author's in the order they were written (seq),
   * applied one by one in one transaction. Records come back in any order,
   * and Yjs keeps an update whose dependencies are not there yet pending,
   * re-merging the pending set at every later update (a thousand own edits
   * read in hash order took seconds). In seq order an author's own edits
   * never wait; the first update that leaves something pending (it depends
   * on another author's further on) sends the rest in as one merged update,
   * which Yjs integrates in causal order at once. Merging all of them
   * always cost three times the apply itself (1.1 s of a 30-space launch).
   */
  private applyLogged(updates: LoggedUpdate[]) {
    const ordered = [...updates].sort(inWriteOrder);
    const { store } = this.doc;
    let next = 0;
    while (next < ordered.length) {
      const update = ordered[next++];
      if (!update) break;
      this.apply(update.kind, update.payload, update.author);
      if (store.pendingStructs || store.pendingDs) break;
    }
    const rest = ordered.slice(next);
    if (rest.length === 0) return;
    try {
      const plain = rest.map(({ kind, payload }) =>
        kind === EnvelopeKind.snapshot ? decodeSyncAnswer(payload).update : payload,
      );
      Y.applyUpdate(this.doc, Y.mergeUpdates(plain), REMOTE);
    } catch {
      // An update Yjs cannot read (refused at arrival anyway): each alone, a bad one reported.
      for (const { kind, payload, author } of rest) this.apply(kind, payload, author);
    }
  }

  /**
   * Applies one opened payload; undefined (and reported) when it is
   * malformed. A sync request comes back parsed, for answering; a snapshot's
   * floors come back for the ledger.
   */
  private apply(kind: EnvelopeKind, payload: Uint8Array, author: Uint8Array): Applied | undefined {
    try {
      if (kind === EnvelopeKind.update) Y.applyUpdate(this.doc, payload, REMOTE);
      else if (kind === EnvelopeKind.snapshot) {
        const answer = decodeSyncAnswer(payload);
        Y.applyUpdate(this.doc, answer.update, REMOTE);
        return { floors: answer.floors };
      } else if (kind === EnvelopeKind.syncRequest) return { request: decodeSyncRequest(payload) };
      return {};
    } catch (err) {
      this.badPayload(err, author);
      return undefined;
    }
  }

  /** A signed payload that does not parse, or that Yjs refuses: counted and reported. */
  private badPayload(err: unknown, author: Uint8Array): void {
    const error =
      err instanceof DecodeError
        ? err
        : new DecodeError("MALFORMED", `bad payload: ${String(err)}`);
    this.stats.rejected.BAD_PAYLOAD = (this.stats.rejected.BAD_PAYLOAD ?? 0) + 1;
    this.emit("rejected", [error, author]);
  }

  /** Answers a sync request with what the asker's doc lacks. */
  private async answer(author: Uint8Array, stateVector: Uint8Array): Promise<void> {
    const { device, access } = this.options;
    if (equalBytes(author, device.publicKey)) return;
    // A viewer's answer would be refused by everyone: leave answering to writers.
    if (!access.isAllowed(device.publicKey, access.currentEpoch().epoch, EnvelopeKind.snapshot)) {
      return;
    }
    let update: Uint8Array;
    try {
      update = Y.encodeStateAsUpdate(this.doc, stateVector);
    } catch (err) {
      this.badPayload(err, author);
      return;
    }
    const answer = encodeSyncAnswer({ update, floors: this.ledger.floors() });
    await this.sealAndSend(EnvelopeKind.snapshot, answer, [author]);
  }

  private reject(error: CryptoError | DecodeError, author: Uint8Array | undefined): void {
    const code = error.code as RejectReason;
    this.stats.rejected[code] = (this.stats.rejected[code] ?? 0) + 1;
    this.emit("rejected", [error, author]);
  }

  /** Logs envelopes as records (logRecords: under the store's size), in the next group commit. */
  private async putRecords(envelopes: DecodedEnvelope[]): Promise<void> {
    if (envelopes.length === 0) return;
    const bytes = envelopes.map((e) => e.bytes);
    await this.commit(logRecords(this.id, bytes, this.options.store.recordBytes));
    this.logged(bytes);
  }

  /**
   * Group commit: records that come while the writes in flight are busy go
   * together in the next one (one store call, one transaction or directory
   * sync), each still its own record. Relay deliveries arrive in many small
   * batches while one is being synced; one durable write per batch made the
   * disk, not the work, set the pace of a catch-up.
   *
   * Two writes may be in flight (COMMIT_LANES): with one, the last batch of
   * a catch-up waited for the group being synced before its own write began,
   * so the catch-up ended up to two syncs after its last apply instead of
   * one. A store that runs its writes one at a time says so (Store.writeLanes:
   * IndexedDB), and gets one lane. Each record stands alone (store.ts on
   * putMany), and each batch's receive still resolves only once its own
   * record is durable.
   */
  private commit(records: [string, Uint8Array][]): Promise<void> {
    // Every record queued before a lane takes them, so one batch's records share a transaction.
    const queued = records.map(
      (record) =>
        new Promise<void>((resolve, reject) => this.toCommit.push({ record, resolve, reject })),
    );
    const lanes = this.options.store.writeLanes ?? COMMIT_LANES;
    if (this.committing < lanes) void this.commitGroups();
    return Promise.all(queued).then(() => undefined);
  }

  /** One write lane: writes what is queued as a group, until nothing is. */
  private async commitGroups(): Promise<void> {
    this.committing++;
    while (this.toCommit.length > 0) {
      const group = this.toCommit.splice(0);
      const [only] = group;
      try {
        if (group.length === 1 && only) await this.options.store.put(...only.record);
        else await this.options.store.putMany(group.map((g) => g.record));
        for (const g of group) g.resolve();
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    this.committing--;
  }

  private logged(envelopes: Uint8Array[]): void {
    this.records += envelopes.length;
    for (const e of envelopes) this.loggedBytes += e.length;
  }

  /** Due once the log holds enough envelopes and outweighs the last checkpoint. */
  private compactionDue(): boolean {
    return (
      this.records >= (this.options.compactEvery ?? 1000) &&
      this.loggedBytes >= this.checkpointBytes
    );
  }

  /** Checkpoints now if the log is long; otherwise once the space goes quiet. */
  private async maybeCompact(): Promise<void> {
    clearTimeout(this.compactTimer);
    if (!this.compactionDue()) return;
    if (this.records >= COMPACT_FORCE_FACTOR * (this.options.compactEvery ?? 1000)) {
      await this.checkpoint();
      return;
    }
    this.compactTimer = setTimeout(() => {
      this.serial(async () => {
        if (!this.closed && this.compactionDue()) await this.checkpoint();
      }).catch((err) => this.emit("compactionFailed", [err]));
    }, this.options.compactIdleMs ?? 1000);
  }

  /** Writes the doc, writer and ledger state as one record, then drops the log behind it. */
  private async checkpoint(): Promise<void> {
    const { store } = this.options;
    await Promise.allSettled([...this.writes]);
    const logged = await store.list(logPrefix(this.id));
    const doc = Y.encodeStateAsUpdate(this.doc);
    await store.put(
      checkpointKey(this.id),
      encodeCheckpoint({
        doc,
        writers: {
          broadcast: this.writers.broadcast.current,
          addressed: this.writers.addressed.current,
        },
        ledger: this.ledger.entries(),
      }),
    );
    for (let i = 0; i < logged.length; i += DELETE_CHUNK) {
      await store.deleteMany(logged.slice(i, i + DELETE_CHUNK));
    }
    this.records = 0;
    this.loggedBytes = 0;
    this.checkpointBytes = doc.length;
  }

  private async load(): Promise<void> {
    const { store, device, access } = this.options;

    // The three reads at once: one round trip to the store instead of three, per space, at launch.
    const [checkpoint, reserved, log] = await Promise.all([
      this.readRecord(checkpointKey(this.id), decodeCheckpoint),
      this.readRecord(seqReserveKey(this.id), decodeSeqReserve),
      readLog(store, this.id),
    ]);
    // Addressed seqs up to here may have gone out in ephemeral envelopes, which no log holds.
    this.reservedSeq = reserved ?? 0;
    if (checkpoint) {
      this.checkpointBytes = checkpoint.doc.length;
      this.ledger = SeqLedger.restore(checkpoint.ledger);
    }

    const logged: { decoded: DecodedEnvelope; payload: Uint8Array }[] = [];
    const { records, corrupt } = log;
    this.corruptRecords.push(...corrupt);
    for (const { key, envelopes } of records) {
      let damaged: StoreError | undefined;
      for (const bytes of envelopes) {
        // Verified when it arrived and authenticated by the store since: only decrypted here.
        try {
          logged.push(this.openLocal(bytes));
        } catch (err) {
          damaged ??= asCorrupt(err, key);
          if (!damaged) throw err;
        }
      }
      if (damaged) this.corruptRecords.push(damaged);
    }
    this.logged(logged.map((e) => e.decoded.bytes));
    // Own envelopes that were queued but not logged before a crash (hashed only when some
    // are queued: hashing a whole long log for nothing was a tenth of a launch).
    const queued = this.options.unsent ?? [];
    const loggedIds =
      queued.length === 0
        ? new Set<string>()
        : new Set(logged.map((e) => toHex(envelopeHash(e.decoded.bytes))));
    const unsent = queued
      .filter((bytes) => !loggedIds.has(toHex(envelopeHash(bytes))))
      .map((bytes) => {
        const decoded = decodeEnvelope(bytes);
        // A welcome is sealed under its invite's key, which this space's access does not hold:
        // it is only logged and its seq counted here (its joiner opens it), never opened. Opening
        // it failed the whole space when the app closed before the relay acked a welcome.
        if (decoded.header.kind === EnvelopeKind.welcome) {
          return { decoded, payload: new Uint8Array(0) };
        }
        return this.openLocal(bytes);
      });

    const updates: LoggedUpdate[] = [];
    /** This device's own envelopes: where its writers go on from. */
    const own: DecodedEnvelope[] = [];
    for (const { decoded, payload } of [...logged, ...unsent]) {
      const { header } = decoded;
      const stream = streamOf(header.kind);
      this.ledger.take(header.author, stream, header.seq);
      if (equalBytes(header.author, device.publicKey)) own.push(decoded);
      if (header.kind === EnvelopeKind.update || header.kind === EnvelopeKind.snapshot) {
        updates.push({
          payload,
          kind: header.kind,
          author: header.author,
          order: `${toHex(header.author)}/${stream}/${String(header.seq).padStart(12, "0")}`,
          snapshot: header.kind === EnvelopeKind.snapshot,
        });
      }
    }
    const applyAll = () => {
      if (checkpoint) this.applyRemote(() => Y.applyUpdate(this.content, checkpoint.doc, REMOTE));
      this.applyRemote(() => this.applyLogged(updates));
    };
    if (this.options.deferDoc) {
      // Read, decrypted and counted now; only Yjs's part waits (most of a checkpoint's cost).
      this.deferredDoc = () => {
        try {
          applyAll();
        } catch (err) {
          // Authenticated by the store, so only a bug gets here: the space stays usable.
          const key = checkpointKey(this.id);
          this.corruptRecords.push(
            new StoreError("CORRUPT_RECORD", `record ${key} does not apply: ${String(err)}`, key),
          );
          noted("DOC_LOAD", "applying a space's checkpoint and log")(err);
        }
      };
    } else applyAll();
    await this.putRecords(unsent.map(({ decoded }) => decoded));
    const writerStates = chainPositions(checkpoint?.writers, own, this.reservedSeq);

    this.writers = {
      broadcast: new EnvelopeWriter(
        access.spaceId,
        device,
        this.options.backend,
        writerStates.broadcast,
      ),
      addressed: new EnvelopeWriter(
        access.spaceId,
        device,
        this.options.backend,
        writerStates.addressed,
      ),
    };
  }

  private openLocal(bytes: Uint8Array): { decoded: DecodedEnvelope; payload: Uint8Array } {
    const decoded = decodeEnvelope(bytes);
    // The hash is only handed back, and nothing here uses it: not computed for every record.
    const { payload } = openAuthenticated(decoded, NO_HASH, {
      backend: this.options.backend,
      keyForEpoch: (epoch) => this.options.access.keyForEpoch(epoch),
    });
    return { decoded, payload };
  }

  /** Reads and decodes one record; a damaged one is reported and skipped. */
  private async readRecord<T>(
    key: string,
    decode: (bytes: Uint8Array) => T,
  ): Promise<T | undefined> {
    try {
      const bytes = await this.options.store.get(key);
      return bytes ? decode(bytes) : undefined;
    } catch (err) {
      const damaged = asCorrupt(err, key);
      if (!damaged) throw err;
      this.corruptRecords.push(damaged);
      return undefined;
    }
  }
}

/** An update or snapshot read back from the log, with where it stands in its author's run. */
interface LoggedUpdate {
  payload: Uint8Array;
  kind: EnvelopeKind;
  author: Uint8Array;
  /** Author, chain and seq, as a string that sorts in the order the author wrote them. */
  order: string;
  snapshot: boolean;
}

/** Snapshots first (they carry others' state), then each author's envelopes by seq. */
function inWriteOrder(a: LoggedUpdate, b: LoggedUpdate): number {
  if (a.snapshot !== b.snapshot) return a.snapshot ? -1 : 1;
  return a.order < b.order ? -1 : a.order > b.order ? 1 : 0;
}

/** Thrown for a write to a space after `close`: nothing is sealed, nothing is queued. */
export class SpaceClosedError extends Error {
  override readonly name = "SpaceClosedError";
  readonly code = "SPACE_CLOSED";
  constructor(space: string) {
    super(`space ${space.slice(0, 8)} is closed`);
  }
}

const NO_HASH = new Uint8Array(0);

/** A received envelope past the duplicate checks, with its seqId. */
interface Fresh {
  decoded: DecodedEnvelope;
  id: string;
}

/** A received envelope verified and decrypted. */
interface Opened extends Fresh {
  payload: Uint8Array;
}

/** One key per (author, chain, seq). */
function seqId(header: DecodedEnvelope["header"]): string {
  return `${bytesKey(header.author)}${streamOf(header.kind)}${header.seq}`;
}

const RECORD_CONTEXT = utf8("grove/record-signature/v1\0");

function recordSigningInput(bytes: Uint8Array): Uint8Array {
  return concatBytes(RECORD_CONTEXT, bytes);
}
