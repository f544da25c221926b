/**
 * A space's membership log on one device: the signed ops it holds, checked
 * as they arrive (signature, certificate, invite proof), held back while a
 * parent is missing, and resolved into who is in the space (resolve.ts).
 *
 * Ops arrive in any order and any number of times; the state depends only
 * on the set of ops held, so every device holding the same ops agrees.
 * With a store, every op taken is written (one record per op, under
 * `s/<space>/m/`) before `add` resolves, and `open` reads them back.
 */

import { ObservableV2 } from "lib0/observable";
import { equalBytes, fromHex, toHex } from "../crypto/bytes.js";
import type { Ed25519Backend } from "../crypto/ed25519.js";
import { hash32 } from "../crypto/hash.js";
import type { SigningKeyPair } from "../crypto/identity.js";
import { verifyCertificate } from "../crypto/identity.js";
import { whenSettled } from "../diagnostics/recent-errors.js";
import { readPrefix, type Store, StoreError } from "../store/store.js";
import { DecodeError } from "../wire/errors.js";
import { MembershipError } from "./errors.js";
import type { MembershipState, VerifiedOp } from "./membership-state.js";
import {
  type Action,
  decodeOpBody,
  decodeSignedOp,
  encodeOpBody,
  encodeSignedOp,
  joinProofMessage,
  type OpBody,
  opSigningMessage,
} from "./ops.js";
import { MembershipResolver } from "./resolver.js";

export type AddResult =
  | { status: "accepted" | "duplicate" | "waiting"; id: string }
  | { status: "rejected"; id?: string; error: MembershipError | DecodeError };

type Events = {
  /** The resolved state changed (an op was taken in). */
  change: (state: MembershipState) => void;
};

export class MembershipLog extends ObservableV2<Events> {
  private readonly held = new Map<string, { op: VerifiedOp; bytes: Uint8Array }>();
  /** Checked ops whose parents have not all arrived. */
  private readonly waiting = new Map<string, { op: VerifiedOp; bytes: Uint8Array }>();
  /** Waiting op ids by a parent (or invite) they wait for. */
  private readonly waitingOn = new Map<string, Set<string>>();
  /** Ops refused before resolution (a join whose invite proof fails). */
  private readonly refused = new Map<string, MembershipError>();
  /** Resolves op by op where it can (resolver.ts). */
  readonly resolver = new MembershipResolver();
  /** While `open` reads the store, ops are resolved once at the end. */
  private deferred = false;

  constructor(
    readonly spaceId: Uint8Array,
    private readonly backend: Ed25519Backend,
    private readonly store?: Store,
  ) {
    super();
  }

  /** An op's id: the hash of its body. */
  idOf(op: Uint8Array): Uint8Array {
    return hash32(decodeSignedOp(op).body);
  }

  /** A log with the ops `store` holds for the space; damaged records are reported and skipped. */
  static async open(
    spaceId: Uint8Array,
    backend: Ed25519Backend,
    store: Store,
  ): Promise<{ log: MembershipLog; corrupt: StoreError[] }> {
    const log = new MembershipLog(spaceId, backend, store);
    const corrupt: StoreError[] = [];
    // Ops come back in key (hash) order, not the DAG's: one resolve for all of them.
    log.deferred = true;
    // Every op in one range read: a listing then a read per op were sequential round trips
    // to the store in each of thirty spaces opening at launch.
    for (const { value } of await readPrefix(store, opPrefix(spaceId))) {
      try {
        if (value instanceof StoreError) throw value;
        await log.add(value);
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        corrupt.push(err);
      }
    }
    log.deferred = false;
    log.resolver.add([...log.held.values()].map((h) => h.op));
    return { log, corrupt };
  }

  get state(): MembershipState {
    return this.resolver.state;
  }

  /** Ids of the ops no held op names as parent: what a new op should name. */
  heads(): Uint8Array[] {
    return this.resolver.heads().map(fromHex);
  }

  /** One held op, encoded, by id. */
  opBytes(id: string): Uint8Array | undefined {
    return this.held.get(id)?.bytes;
  }

  /** The verified op with this id, if held. */
  op(id: string): VerifiedOp | undefined {
    return this.held.get(id)?.op;
  }

  /** Every op held, encoded: what a peer that lacks some is sent. */
  encodedOps(): Uint8Array[] {
    return [...this.held.values()].map((h) => h.bytes);
  }

  /** The verdict on one op once resolved. */
  verdict(id: string): "accepted" | "waiting" | MembershipError | undefined {
    if (this.waiting.has(id)) return "waiting";
    const refused = this.refused.get(id);
    if (refused) return refused;
    if (this.state.accepted.has(id)) return "accepted";
    return this.state.rejected.get(id);
  }

  /** Takes one signed op from anywhere; never throws for bad input. */
  add(bytes: Uint8Array): Promise<AddResult> {
    // One at a time: promotion walks the waiting ops across awaits.
    const run = this.queue.then(() => this.take(bytes));
    this.queue = whenSettled(run);
    return run;
  }

  private queue: Promise<unknown> = Promise.resolve();

  private async take(bytes: Uint8Array): Promise<AddResult> {
    let op: VerifiedOp;
    try {
      op = await this.check(bytes);
    } catch (err) {
      if (err instanceof MembershipError || err instanceof DecodeError) {
        return { status: "rejected", error: err };
      }
      throw err;
    }
    if (this.held.has(op.id) || this.waiting.has(op.id)) return { status: "duplicate", id: op.id };
    const refused = this.refused.get(op.id);
    if (refused) return { status: "rejected", id: op.id, error: refused };
    this.waiting.set(op.id, { op, bytes });
    await this.promote(op.id);
    const verdict =
      this.verdict(op.id) ?? new MembershipError("NOT_A_MEMBER", "the op was not resolved");
    if (verdict === "accepted" || verdict === "waiting") return { status: verdict, id: op.id };
    return { status: "rejected", id: op.id, error: verdict };
  }

  /** Signs an op naming `parents` (default: this log's heads) without taking it in. */
  async sign(
    device: SigningKeyPair,
    action: Action,
    parents: Uint8Array[] = this.heads(),
    time = Date.now(),
  ): Promise<Uint8Array> {
    const body = encodeOpBody({ spaceId: this.spaceId, parents, time, action });
    const signature = await this.backend.sign(device.secretKey, opSigningMessage(body));
    return encodeSignedOp({ body, signer: device.publicKey, signature });
  }

  /**
   * Signs and takes an op of this device's; throws its refusal if the log
   * refuses it. A refused op of one's own is not kept: nobody else will
   * ever hold it, so a later op naming it as parent would wait forever.
   */
  async author(device: SigningKeyPair, action: Action, time = Date.now()): Promise<Uint8Array> {
    const bytes = await this.sign(device, action, this.heads(), time);
    const result = await this.add(bytes);
    if (result.status === "rejected") {
      if (result.id) await this.discard(result.id);
      throw result.error;
    }
    return bytes;
  }

  private discard(id: string): Promise<void> {
    const run = this.queue.then(async () => {
      if (!this.held.delete(id)) return;
      await this.store?.delete(`${opPrefix(this.spaceId)}${id}`);
      this.emit("change", [this.resolver.remove(id)]);
    });
    this.queue = whenSettled(run);
    return run;
  }

  private async check(bytes: Uint8Array): Promise<VerifiedOp> {
    const signed = decodeSignedOp(bytes);
    const body: OpBody = decodeOpBody(signed.body);
    if (!equalBytes(body.spaceId, this.spaceId)) {
      throw new MembershipError("WRONG_SPACE", "the op belongs to another space");
    }
    const ok = await this.backend.verify(
      signed.signer,
      opSigningMessage(signed.body),
      signed.signature,
    );
    if (!ok) throw new MembershipError("BAD_SIGNATURE", "the op's signature is invalid");
    const a = body.action;
    if (a.type === "create" || a.type === "join" || a.type === "addDevice") {
      try {
        await verifyCertificate(this.backend, a.cert);
      } catch {
        throw new MembershipError("BAD_CERTIFICATE", "the device certificate does not verify");
      }
    }
    if (
      (a.type === "create" || a.type === "join") &&
      !equalBytes(a.cert.deviceSign, signed.signer)
    ) {
      throw new MembershipError("BAD_CERTIFICATE", "signed by another device than it certifies");
    }
    return { id: toHex(hash32(signed.body)), body, signer: toHex(signed.signer) };
  }

  /**
   * Moves every waiting op whose parents are all held into the log, then
   * resolves. A join also waits for its invite op, whose key its proof is
   * checked against; a join with a bad proof is refused and not kept.
   */
  private async promote(id: string): Promise<void> {
    const moved: VerifiedOp[] = [];
    // Ops that may be ready: the new one, then whoever waited on an op just held.
    const candidates = [id];
    for (let next = candidates.shift(); next !== undefined; next = candidates.shift()) {
      const entry = this.waiting.get(next);
      if (!entry) continue;
      const missing = this.missing(entry.op);
      if (missing) {
        const set = this.waitingOn.get(missing);
        if (set) set.add(next);
        else this.waitingOn.set(missing, new Set([next]));
        continue;
      }
      this.waiting.delete(next);
      const a = entry.op.body.action;
      const invite = a.type === "join" ? this.held.get(toHex(a.invite)) : undefined;
      if (a.type === "join" && !(invite && (await this.proofHolds(a, invite.op)))) {
        this.refused.set(
          next,
          new MembershipError("BAD_INVITE_PROOF", "the join is not signed by the invite's key"),
        );
        continue;
      }
      await this.store?.put(`${opPrefix(this.spaceId)}${next}`, entry.bytes);
      this.held.set(next, entry);
      moved.push(entry.op);
      const woken = this.waitingOn.get(next);
      if (woken) {
        this.waitingOn.delete(next);
        candidates.push(...woken);
      }
    }
    if (moved.length === 0 || this.deferred) return;
    this.emit("change", [this.resolver.add(moved)]);
  }

  /** A parent (or, for a join, the invite) the log does not hold yet. */
  private missing(op: VerifiedOp): string | undefined {
    for (const p of op.body.parents) {
      const id = toHex(p);
      if (!this.held.has(id)) return id;
    }
    const a = op.body.action;
    if (a.type === "join" && !this.held.has(toHex(a.invite))) return toHex(a.invite);
    return undefined;
  }

  private async proofHolds(
    join: Extract<Action, { type: "join" }>,
    inviteOp: VerifiedOp,
  ): Promise<boolean> {
    const invite = inviteOp.body.action;
    if (invite.type !== "invite") return false;
    const message = joinProofMessage(this.spaceId, join.invite, join.cert);
    return this.backend.verify(invite.inviteSign, message, join.proof);
  }
}

function opPrefix(spaceId: Uint8Array): string {
  return `s/${toHex(spaceId)}/m/`;
}
