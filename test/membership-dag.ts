/**
 * Unsigned ops for tests of resolution alone (signatures and certificates
 * are checked before it, in membership-log.ts): stand-in keys and
 * certificates derived from small numbers, and replicas that author ops
 * naming the heads of what each has seen, so ops are concurrent until
 * gossip joins the branches.
 */
import { fromHex, toHex } from "../core/crypto/bytes.js";
import { hash32 } from "../core/crypto/hash.js";
import type { DeviceCertificate } from "../core/crypto/identity.js";
import type { Action, KeyBoxEntry } from "../core/membership/ops.js";
import type { VerifiedOp } from "../core/membership/resolve.js";

/** 32 bytes standing for a key, distinct per (tag, a, b). */
export function bytes(tag: number, a: number, b = 0): Uint8Array {
  const out = new Uint8Array(32);
  out[0] = tag;
  out[1] = a;
  out[2] = b;
  return hash32(out);
}

/** User `user`'s device `device`, certified (unsigned). */
export function cert(user: number, device: number): DeviceCertificate {
  return {
    user: bytes(1, user),
    deviceSign: bytes(2, user, device),
    deviceBox: bytes(3, user, device),
    name: `d${device}`,
    createdAt: 0,
    signature: new Uint8Array(64),
  };
}

export const boxFor = (recipient: Uint8Array, salt: number): KeyBoxEntry => ({
  recipient,
  box: bytes(9, salt & 0xff, salt >> 8),
});

/** Replicas of one DAG: each authors on what it has seen; `learn` is gossip. */
export class Replicas {
  readonly ops: VerifiedOp[] = [];
  private readonly known: Set<string>[];

  constructor(count: number) {
    this.known = Array.from({ length: count }, () => new Set());
  }

  /** Authors `action` on `replica`, signed by `user`'s device `device`, naming its heads. */
  author(replica: number, action: Action, user: number, device: number, time: number): string {
    const seen = this.seen(replica);
    const named = new Set<string>();
    for (const id of seen)
      for (const p of this.ops.find((o) => o.id === id)?.body.parents ?? []) named.add(toHex(p));
    const parents = action.type === "create" ? [] : [...seen].filter((id) => !named.has(id));
    const id = toHex(hash32(new TextEncoder().encode(`${this.ops.length}:${action.type}:${time}`)));
    this.ops.push({
      id,
      signer: toHex(cert(user, device).deviceSign),
      body: { spaceId: new Uint8Array(16), parents: parents.map(fromHex), time, action },
    });
    seen.add(id);
    return id;
  }

  /** `to` learns every op `from` has seen. */
  learn(to: number, from: number): void {
    for (const id of this.seen(from)) this.seen(to).add(id);
  }

  /** The ops `replica` has seen, in the order they were made. */
  heldBy(replica: number): VerifiedOp[] {
    const seen = this.seen(replica);
    return this.ops.filter((o) => seen.has(o.id));
  }

  private seen(replica: number): Set<string> {
    const s = this.known[replica];
    if (!s) throw new Error(`no replica ${replica}`);
    return s;
  }
}
