/**
 * Which joins a revoke of their link leaves alone (decision 174).
 *
 * A revoke closes the joins waiting on its invite, and a join that is not
 * before it in the DAG is refused (decision 31), so that a join backdated
 * past expiry cannot beat the expiry revoke. But on a link that needs a
 * manager's confirm, a manager who had not seen the revoke and confirmed a
 * join let that person in by an explicit act, after seeing who they are, as
 * a new invite would have: the join stands against that revoke. So a join
 * is covered against a revoke by a confirm of it that is concurrent with
 * the revoke: one made after the revoke was seen never covers, and one made
 * before it let the joiner in before the revoke anyway.
 *
 * The confirm must also be accepted where it falls in the order (its author
 * a manager there, not beaten by a removal made at the same moment), which
 * is known only once a pass is done: resolve.ts first lets every join with
 * such a confirm through the revoke, then withdraws the cover of any whose
 * confirms were all refused and replays (covers withdrawn only accumulate,
 * like removal marks).
 *
 * Open links keep decision 31's rule: their joins are confirmed by a
 * manager's device without asking anyone, so such a confirm vouches for
 * nothing the revoke did not know.
 */
import { toHex } from "../crypto/bytes.js";
import type { VerifiedOp } from "./membership-state.js";
import type { OpGraph } from "./op-graph.js";

export class RevokeCover {
  /** Join id -> the confirms naming it, for joins on links that need a person's confirm. */
  private readonly confirms = new Map<string, string[]>();

  constructor(private readonly graph: OpGraph) {
    const byId = new Map(graph.order.map((op) => [op.id, op]));
    for (const op of graph.order) {
      const a = op.body.action;
      if (a.type !== "confirm") continue;
      const join = toHex(a.join);
      if (!needsAPerson(byId, byId.get(join))) continue;
      const list = this.confirms.get(join);
      if (list) list.push(op.id);
      else this.confirms.set(join, [op.id]);
    }
  }

  /**
   * Is `join` covered against `revoke`: is some confirm of it concurrent
   * with the revoke (and in `accepted`, when given)? False for ops the
   * graph does not hold (an op appended after it sorts after everything).
   */
  covers(join: string, revoke: string, accepted?: ReadonlySet<string>): boolean {
    const confirms = this.confirms.get(join);
    if (!confirms || !this.graph.index.has(revoke)) return false;
    return confirms.some(
      (c) => (!accepted || accepted.has(c)) && this.graph.concurrentWith(revoke, c),
    );
  }
}

/** Is `join` a join on an invite whose joins a person confirms? */
function needsAPerson(byId: Map<string, VerifiedOp>, join: VerifiedOp | undefined): boolean {
  const a = join?.body.action;
  if (a?.type !== "join") return false;
  const invite = byId.get(toHex(a.invite))?.body.action;
  return invite?.type === "invite" && invite.mode === "confirmed";
}
