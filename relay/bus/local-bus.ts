/**
 * The bus of a single relay node: there is no other node to tell, so
 * publishing goes nowhere and budgets are counted in this process. The node
 * delivers to its own devices directly (presence.ts), as it always has.
 */
import { WindowLimit } from "../rate-limit.js";
import type { BusHealth, RelayBus, SharedBudget } from "./relay-bus.js";

export class LocalBus implements RelayBus {
  readonly kind = "local";

  // One node: nothing comes from other nodes, and there is nobody to tell.
  setHandlers(): void {
    // no other node calls
  }
  async watchDevice(): Promise<void> {
    // no other node publishes
  }
  unwatchDevice(): void {
    // nothing was watched
  }
  publishDevice(): void {
    // no other node listens
  }
  watchTopic(): void {
    // no other node publishes
  }
  unwatchTopic(): void {
    // nothing was watched
  }
  publishTopic(): void {
    // no other node listens
  }

  budget(_name: string, limit: number, windowMs: number): SharedBudget {
    const window = new WindowLimit(limit, windowMs);
    return {
      take: async (key) => window.take(key),
      prune: () => window.prune(),
    };
  }

  async health(): Promise<BusHealth> {
    return { kind: "local", reachable: true };
  }

  async close(): Promise<void> {
    // nothing open
  }
}
