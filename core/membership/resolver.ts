/**
 * Membership resolved op by op, with the same result as resolving every op
 * held from scratch (resolve.ts), at the cost of the new op alone when it
 * can be.
 *
 * An op that names every current head as a parent (it saw everything held)
 * sorts after every op held, in any order every device computes: the state
 * before it is the state already built, so it is judged against that state
 * and appended. The rules that reach across the order cannot change an
 * earlier verdict because of it (it is after everything, concurrent with
 * nothing); a join on an invite some accepted revoke closed is the one case
 * where they judge the new op itself, and they are asked here directly. (A
 * confirm concurrent with a revoke can cover a join against it, but an op
 * that sorts last is concurrent with nothing: it neither covers nor is
 * covered, and the cover's answers for held ops stay as they were.)
 * The fixed point of resolve.ts may take several passes (a removal that
 * beats an op accepted in the first pass); every pass's state is kept, and
 * the new op is judged in each, as a full replay would.
 *
 * Any other op (concurrent with held ones, or the missing parent of some)
 * is taken by a full replay, itself O(n log n) in the ops plus a walk of
 * the DAG per accepted removal or revoke.
 *
 * The state handed out is a new object on every change, so a cache keyed
 * by the state's identity sees the change; its maps are the live ones,
 * changed in place by the next op.
 */
import { toHex } from "../crypto/bytes.js";
import type { MembershipError } from "./errors.js";
import { finish, judge, type Working } from "./judge.js";
import type { MembershipState, VerifiedOp } from "./membership-state.js";
import { certify, lastPass, lateMark, type Replay, replayAll } from "./resolve.js";

export class MembershipResolver {
  private readonly ops = new Map<string, VerifiedOp>();
  /** Held ops no held op names as parent. */
  private readonly tips = new Set<string>();
  /** Every id a held op names as parent, held or not. */
  private readonly named = new Set<string>();
  /** Device key (hex) -> how many held ops it signed. */
  private readonly signed = new Map<string, number>();
  private replay: Replay;
  private snapshot: MembershipState;
  /** How each op was taken: what the bench and tests read. */
  readonly counts = { appended: 0, replays: 0 };

  constructor(ops: VerifiedOp[] = []) {
    for (const op of ops) this.hold(op);
    this.replay = replayAll([...this.ops.values()]);
    this.snapshot = this.publish();
  }

  get state(): MembershipState {
    return this.snapshot;
  }

  /** Ids (hex) of the ops held that no held op names as parent. */
  heads(): string[] {
    return [...this.tips];
  }

  /** Takes new ops (in the order given; ops held already are ignored) and returns the state. */
  add(ops: VerifiedOp[]): MembershipState {
    let full = false;
    let changed = false;
    for (const op of ops) {
      if (this.ops.has(op.id)) continue;
      changed = true;
      if (!full && this.extendsHeads(op)) {
        this.hold(op);
        full = !this.append(op);
      } else {
        this.hold(op);
        full = true;
      }
    }
    if (!changed) return this.snapshot;
    if (full) this.replayFully();
    this.snapshot = this.publish();
    return this.snapshot;
  }

  /** Forgets one op (and so resolves from scratch). */
  remove(id: string): MembershipState {
    if (!this.ops.delete(id)) return this.snapshot;
    this.tips.clear();
    this.named.clear();
    this.signed.clear();
    const rest = [...this.ops.values()];
    this.ops.clear();
    for (const op of rest) this.hold(op);
    this.replayFully();
    this.snapshot = this.publish();
    return this.snapshot;
  }

  private hold(op: VerifiedOp): void {
    this.ops.set(op.id, op);
    this.signed.set(op.signer, (this.signed.get(op.signer) ?? 0) + 1);
    for (const p of op.body.parents) {
      const id = toHex(p);
      this.named.add(id);
      this.tips.delete(id);
    }
    if (!this.named.has(op.id)) this.tips.add(op.id);
  }

  /**
   * Does `op` sort after every op held: it names every head? (A parent some
   * held op named and that arrives late never does: it cannot name its own
   * descendants.)
   */
  private extendsHeads(op: VerifiedOp): boolean {
    const parents = new Set(op.body.parents.map(toHex));
    for (const tip of this.tips) if (!parents.has(tip)) return false;
    return true;
  }

  private replayFully(): void {
    this.replay = replayAll([...this.ops.values()]);
    this.counts.replays++;
  }

  /**
   * Judges `op`, which sorts last, in every pass's state. False if the
   * passes would not settle as a full replay's do (then the caller replays).
   */
  private append(op: VerifiedOp): boolean {
    const { states, latest, certified } = this.replay;
    if (this.recertifiesEarlier(op, certified)) return false;
    let time = 0;
    for (const p of op.body.parents) {
      const parent = this.ops.get(toHex(p));
      if (parent) time = Math.max(time, parent.body.time, latest.get(parent.id) ?? 0);
    }
    latest.set(op.id, time);
    certify(certified, op.body.action);
    let mark: MembershipError | undefined;
    /** A mark the last pass gave: a full replay would pass once more with it. */
    let markedLast: MembershipError | undefined;
    states.forEach((w, pass) => {
      judge(w, op, time, mark);
      if (!mark) {
        mark = revokedBefore(w, op);
        if (mark && pass === states.length - 1) markedLast = mark;
      }
      finish(w);
    });
    if (markedLast) {
      // That pass would refuse the op, as the last one did unless it accepted it.
      const last = lastPass(this.replay);
      if (last.state.accepted.has(op.id)) return false;
      last.state.rejected.set(op.id, markedLast);
    }
    this.counts.appended++;
    return true;
  }

  /**
   * Does `op` certify a device, for a user it was not certified for yet,
   * that signed ops held already? Those ops then gain an author, whom a
   * removal they were concurrent with beats: verdicts before `op` change.
   */
  private recertifiesEarlier(op: VerifiedOp, certified: Map<string, string>): boolean {
    const a = op.body.action;
    if (a.type !== "create" && a.type !== "join" && a.type !== "addDevice") return false;
    const device = toHex(a.cert.deviceSign);
    if (certified.get(device) === toHex(a.cert.user)) return false;
    const own = op.signer === device ? 1 : 0;
    return (this.signed.get(device) ?? 0) > own;
  }

  private publish(): MembershipState {
    return { ...lastPass(this.replay).state };
  }
}

/** The mark resolve.ts gives a join made after an accepted revoke of its invite. */
function revokedBefore(w: Working, op: VerifiedOp): MembershipError | undefined {
  const a = op.body.action;
  if (a.type !== "join") return undefined;
  // Every held op is before `op`, so the first accepted revoke is the one the rule finds.
  const against = w.revokes.get(toHex(a.invite))?.[0];
  return against && lateMark(w, op, against);
}
