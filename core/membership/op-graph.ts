/**
 * The membership DAG in the one order every device replays it in: parents
 * first, and among ops ready at once the smaller hash first. Ops are
 * numbered by their place in that order, so "is a before b" questions are
 * asked of small integer indexes, and only for the few ops a rule needs
 * them for (removals, revokes): an ancestor or descendant set is built on
 * demand as a byte map over the indexes and kept for the graph's life.
 * Nothing here is quadratic in the number of ops unless every op asks.
 *
 * A parent the set does not hold is ignored (the op still sorts after the
 * ones it names that are held).
 */
import { toHex } from "../crypto/bytes.js";
import type { VerifiedOp } from "./membership-state.js";

export class OpGraph {
  /** The replay order. */
  readonly order: VerifiedOp[];
  /** Op id -> its place in `order`. */
  readonly index = new Map<string, number>();
  /** Per op (by index), its held parents' indexes. */
  private readonly parents: number[][];
  private readonly children: number[][];
  private readonly ancestorMaps = new Map<number, Uint8Array>();
  private readonly descendantMaps = new Map<number, Uint8Array>();

  constructor(ops: VerifiedOp[]) {
    this.order = topologicalOrder(ops);
    this.order.forEach((op, i) => {
      this.index.set(op.id, i);
    });
    this.parents = this.order.map((op) => heldParents(op, this.index));
    this.children = this.order.map(() => []);
    this.parents.forEach((ps, i) => {
      for (const p of ps) item(this.children, p).push(i);
    });
  }

  /** Is `a` an ancestor of `b` (strictly before it in the DAG)? */
  isAncestor(a: string, b: string): boolean {
    const ia = this.indexOf(a);
    const ib = this.indexOf(b);
    // An ancestor is always earlier in the order: no walk needed otherwise.
    if (ia >= ib) return false;
    return this.ancestorsOf(ib)[ia] === 1;
  }

  /**
   * Neither before nor after `pivot` (and not `pivot` itself). The sets
   * walked are the pivot's, so many questions about one pivot cost one walk.
   */
  concurrentWith(pivot: string, other: string): boolean {
    const ip = this.indexOf(pivot);
    const io = this.indexOf(other);
    if (io === ip) return false;
    return io < ip ? this.ancestorsOf(ip)[io] === 0 : this.descendantsOf(ip)[io] === 0;
  }

  /** Per op in order, the latest time among the ops it descends from (0 for none). */
  latestTimes(): Map<string, number> {
    const latest: number[] = [];
    const out = new Map<string, number>();
    this.order.forEach((op, i) => {
      let max = 0;
      for (const p of item(this.parents, i)) {
        max = Math.max(max, item(this.order, p).body.time, item(latest, p));
      }
      latest.push(max);
      out.set(op.id, max);
    });
    return out;
  }

  private indexOf(id: string): number {
    const i = this.index.get(id);
    if (i === undefined) throw new Error(`op ${id.slice(0, 16)} is not in the graph`);
    return i;
  }

  private ancestorsOf(i: number): Uint8Array {
    let map = this.ancestorMaps.get(i);
    if (!map) {
      map = reach(i, this.parents, this.order.length);
      this.ancestorMaps.set(i, map);
    }
    return map;
  }

  private descendantsOf(i: number): Uint8Array {
    let map = this.descendantMaps.get(i);
    if (!map) {
      map = reach(i, this.children, this.order.length);
      this.descendantMaps.set(i, map);
    }
    return map;
  }
}

/** Parents' indexes that the graph holds (deduplicated). */
function heldParents(op: VerifiedOp, index: Map<string, number>): number[] {
  const out = new Set<number>();
  for (const p of op.body.parents) {
    const i = index.get(toHex(p));
    if (i !== undefined) out.add(i);
  }
  return [...out];
}

/** Every index reachable from `from` along `edges`, `from` itself excluded. */
function reach(from: number, edges: number[][], size: number): Uint8Array {
  const seen = new Uint8Array(size);
  const stack = [...item(edges, from)];
  for (let i = stack.pop(); i !== undefined; i = stack.pop()) {
    if (seen[i]) continue;
    seen[i] = 1;
    for (const j of item(edges, i)) if (!seen[j]) stack.push(j);
  }
  return seen;
}

/** `xs[i]`, which the caller knows is there: its absence is a bug here, not bad input. */
function item<T>(xs: readonly T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new Error(`no item ${i} of ${xs.length}`);
  return x;
}

/** Kahn's algorithm with a min-heap on the op id: O(n log n + edges). */
export function topologicalOrder(ops: VerifiedOp[]): VerifiedOp[] {
  const byId = new Map(ops.map((op) => [op.id, op]));
  const waiting = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const op of byId.values()) {
    const parents = new Set(op.body.parents.map(toHex).filter((p) => byId.has(p)));
    waiting.set(op.id, parents.size);
    for (const p of parents) {
      const list = children.get(p);
      if (list) list.push(op.id);
      else children.set(p, [op.id]);
    }
  }
  const ready = new MinHeap();
  for (const [id, n] of waiting) if (n === 0) ready.push(id);
  const order: VerifiedOp[] = [];
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    const op = byId.get(id);
    if (op) order.push(op);
    for (const child of children.get(id) ?? []) {
      const left = (waiting.get(child) ?? 1) - 1;
      waiting.set(child, left);
      if (left === 0) ready.push(child);
    }
  }
  return order;
}

/** A binary min-heap of strings (op ids, compared as the sort of hex strings). */
class MinHeap {
  private readonly items: string[] = [];

  push(item: string): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.swapIfLess(i, up)) break;
      i = up;
    }
  }

  /** The smallest item, removed; undefined once empty. */
  pop(): string | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (this.less(l, min)) min = l;
      if (this.less(r, min)) min = r;
      if (min === i) break;
      this.swapIfLess(min, i);
      i = min;
    }
    return top;
  }

  /** Is item `i` there and smaller than item `j`? */
  private less(i: number, j: number): boolean {
    const x = this.items[i];
    const y = this.items[j];
    return x !== undefined && y !== undefined && x < y;
  }

  /** Swaps items `i` and `j` if `i` is the smaller. */
  private swapIfLess(i: number, j: number): boolean {
    const a = this.items;
    const x = a[i];
    const y = a[j];
    if (x === undefined || y === undefined || !(x < y)) return false;
    a[i] = y;
    a[j] = x;
    return true;
  }
}
