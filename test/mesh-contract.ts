/**
 * What every PeerMesh promises (core/sync/direct-transport.ts), as one list
 * of cases run against each implementation: LoopbackMesh in Node
 * (test/mesh-contract.test.ts) and WebrtcMesh in Chromium, one browser
 * context per device, signaling through a real relay
 * (test/e2e/mesh-contract.spec.ts).
 *
 * A case drives peers through MeshPeer, whose calls are async so that a
 * peer may live in a page; the cases import no test framework. Waiting is
 * for a condition with a deadline, never for a fixed time. That nothing
 * crosses between rooms can only be checked at a moment: the moment chosen
 * is one at which a later write inside the room has already arrived.
 */

export interface MeshPeer {
  /** The device (hex key) the others should list as connected. */
  readonly device: string;
  start(): Promise<void>;
  /** Sets `key` to `value` in the mesh doc's map "contract". */
  write(key: string, value: string): Promise<void>;
  read(key: string): Promise<string | undefined>;
  connected(): Promise<string[]>;
  bytesSent(): Promise<number>;
  drained(): Promise<void>;
  /** What connected() said when the mesh last emitted "peers" (sorted); undefined before any. */
  peersAtLastEvent(): Promise<string[] | undefined>;
  destroy(): Promise<void>;
}

export interface MeshHarness {
  /**
   * A mesh, not yet started, for a new device of `room`: devices of one
   * room are each other's members, devices of two rooms never meet. Up to
   * three devices per room.
   */
  peer(room: "a" | "b"): Promise<MeshPeer>;
  /** How long a link may take to come up (ms). */
  readonly linkMs: number;
}

export interface MeshCase {
  name: string;
  run(h: MeshHarness): Promise<void>;
}

export class ContractError extends Error {
  override readonly name = "ContractError";
}

/** Polls `check` until it holds or `ms` pass; the failure says what was awaited. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new ContractError(`timed out after ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new ContractError(`${what}: expected ${e}, got ${a}`);
}

async function linked(h: MeshHarness, peers: MeshPeer[]): Promise<void> {
  for (const p of peers) {
    const others = peers.filter((o) => o !== p).map((o) => o.device);
    await waitFor(
      `${p.device.slice(0, 8)} lists ${others.length} peers`,
      async () => {
        const now = new Set(await p.connected());
        return others.every((o) => now.has(o));
      },
      h.linkMs,
    );
  }
}

/** Waits for a "peers" event at which `p` was connected to exactly `peers`. */
const told = (h: MeshHarness, p: MeshPeer, peers: string[]) =>
  waitFor(
    `a 'peers' event at ${p.device.slice(0, 8)} telling ${peers.length} peers`,
    async () => JSON.stringify(await p.peersAtLastEvent()) === JSON.stringify([...peers].sort()),
    h.linkMs,
  );

const arrives = (h: MeshHarness, p: MeshPeer, key: string, value: string) =>
  waitFor(
    `${key} reaches ${p.device.slice(0, 8)}`,
    async () => (await p.read(key)) === value,
    h.linkMs,
  );

export const meshContract: MeshCase[] = [
  {
    name: "two meshes of a room link up, each lists the other, and a 'peers' event follows",
    async run(h) {
      const a = await h.peer("a");
      const b = await h.peer("a");
      same(await a.connected(), [], "connected before start");
      await Promise.all([a.start(), b.start()]);
      await linked(h, [a, b]);
      same(await a.connected(), [b.device], "a's peers");
      same(await b.connected(), [a.device], "b's peers");
      // connected() is the truth; the event may trail it (WebrtcMesh notices an opened data
      // channel on its next watchdog tick), but it must come, and tell the new set.
      await told(h, a, [b.device]);
      await told(h, b, [a.device]);
      await Promise.all([a.destroy(), b.destroy()]);
    },
  },
  {
    name: "what each wrote before the link reaches the other when it comes up, and later writes both ways",
    async run(h) {
      const a = await h.peer("a");
      const b = await h.peer("a");
      await a.write("early/a", "from a");
      await b.write("early/b", "from b");
      await Promise.all([a.start(), b.start()]);
      await arrives(h, b, "early/a", "from a");
      await arrives(h, a, "early/b", "from b");
      await a.write("late/a", "a again");
      await b.write("late/b", "b again");
      await arrives(h, b, "late/a", "a again");
      await arrives(h, a, "late/b", "b again");
      await Promise.all([a.destroy(), b.destroy()]);
    },
  },
  {
    name: "three meshes: a write by any one reaches the two others",
    async run(h) {
      const peers = [await h.peer("a"), await h.peer("a"), await h.peer("a")];
      await Promise.all(peers.map((p) => p.start()));
      await linked(h, peers);
      for (const [i, p] of peers.entries()) await p.write(`k${i}`, `v${i}`);
      for (const p of peers) {
        for (const i of [0, 1, 2]) await arrives(h, p, `k${i}`, `v${i}`);
      }
      await Promise.all(peers.map((p) => p.destroy()));
    },
  },
  {
    name: "a mesh of another room never links, and its writes never arrive",
    async run(h) {
      const a = await h.peer("a");
      const b = await h.peer("a");
      const stranger = await h.peer("b");
      await stranger.write("stranger", "early");
      await Promise.all([a.start(), stranger.start(), b.start()]);
      await linked(h, [a, b]);
      await stranger.write("stranger", "late");
      // By the time a's later write reached b, anything the stranger sent would have too.
      await a.write("marker", "m");
      await arrives(h, b, "marker", "m");
      for (const p of [a, b]) {
        same(await p.read("stranger"), undefined, "a stranger's write");
        same((await p.connected()).includes(stranger.device), false, "the stranger listed");
      }
      same(await stranger.connected(), [], "the stranger's peers");
      await Promise.all([a.destroy(), b.destroy(), stranger.destroy()]);
    },
  },
  {
    name: "counts the bytes it hands to its links, and drained resolves once they have left",
    async run(h) {
      const a = await h.peer("a");
      const b = await h.peer("a");
      await Promise.all([a.start(), b.start()]);
      await linked(h, [a, b]);
      const before = await a.bytesSent();
      const big = "x".repeat(20_000);
      await a.write("big", big);
      await a.drained();
      const sent = (await a.bytesSent()) - before;
      if (sent < big.length)
        throw new ContractError(`counted ${sent} bytes for a 20,000-byte write`);
      await arrives(h, b, "big", big);
      await Promise.all([a.destroy(), b.destroy()]);
    },
  },
  {
    name: "a destroyed mesh drops out of the others' peers, and the others go on",
    async run(h) {
      const peers = [await h.peer("a"), await h.peer("a"), await h.peer("a")];
      const [a, b, c] = peers as [MeshPeer, MeshPeer, MeshPeer];
      await Promise.all(peers.map((p) => p.start()));
      await linked(h, peers);
      await told(h, a, [b.device, c.device].sort());
      await c.destroy();
      await waitFor(
        "c leaves a's and b's peers",
        async () =>
          !(await a.connected()).includes(c.device) && !(await b.connected()).includes(c.device),
        h.linkMs,
      );
      await told(h, a, [b.device]);
      await a.write("after", "still here");
      await arrives(h, b, "after", "still here");
      await Promise.all([a.destroy(), b.destroy()]);
    },
  },
];
