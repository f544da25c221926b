/**
 * A received batch's log write starts before its apply, so sealing and the
 * store's commit run while Yjs applies (a catch-up then ends one apply
 * sooner after its last batch), and what the write's completion does (the
 * ledger, the accepted count) still sees the whole batch applied; acks
 * still wait for the write.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type Ed25519Backend, ed25519 } from "../core/crypto/ed25519.js";
import { loadSecretbox } from "../core/crypto/secretbox.js";
import { Space } from "../core/space/space.js";
import { MemoryStore } from "../core/store/memory-store.js";
import { chatEnvelopes, spaceFor } from "./sync-harness.js";

let backend: Ed25519Backend;
beforeAll(async () => {
  backend = await ed25519();
  await loadSecretbox();
});

/** A store that, at each log write, notes how many messages the receiver shows then. */
class WatchedStore extends MemoryStore {
  shownAtWrite: number[] = [];
  release: (() => void) | undefined;
  private began: (() => void) | undefined;
  /** Resolves once the first log write has begun (and is held). */
  readonly writeBegan = new Promise<void>((resolve) => {
    this.began = resolve;
  });
  constructor(private readonly shown: () => number) {
    super();
  }
  override async putMany(entries: [string, Uint8Array][]): Promise<void> {
    if (entries.some(([key]) => key.includes("/l/"))) {
      this.shownAtWrite.push(this.shown());
      // Held until the test lets it go: the batch must be applied meanwhile, and not acked.
      await new Promise<void>((resolve) => {
        this.release = resolve;
        this.began?.();
      });
    }
    return super.putMany(entries);
  }
  override async put(key: string, value: Uint8Array): Promise<void> {
    return this.putMany([[key, value]]);
  }
}

describe("a received batch's write", () => {
  it("starts before the batch is applied; receive resolves only once it is done", async () => {
    const fixture = spaceFor(2);
    const [ann, bea] = fixture.members;
    if (!ann || !bea) throw new Error("two members");
    const sent = await chatEnvelopes(fixture.access(), ann, 12, backend);
    let receiver: Space | undefined;
    const store = new WatchedStore(() => receiver?.doc.getArray("chat").length ?? -1);
    receiver = await Space.open({
      access: fixture.access(),
      device: bea,
      backend,
      store,
      dispatch: async () => {},
    });
    let resolved = false;
    const received = receiver.receive(sent).then(() => {
      resolved = true;
    });
    await store.writeBegan;
    // The write began with nothing of the batch shown yet; by now all of it is.
    expect(store.shownAtWrite).toEqual([0]);
    expect(receiver.doc.getArray("chat").length).toBe(12);
    expect(resolved).toBe(false);
    expect(receiver.stats.accepted).toBe(0);
    store.release?.();
    await received;
    expect(receiver.stats.accepted).toBe(12);
    await receiver.close();
  });
});
