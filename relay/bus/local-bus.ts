/**
 * The bus of a single relay node: there is no other node to tell, so
 * publishing goes nowhere and budgets are counted in this process. The node
 * delivers to its own devices directly (presence.ts), as it always has.
 */
import { WindowLimit } from "../rate-limit.js";
import type { BusHealth, RelayBus, SharedBudget } from "./relay-bus.js";

export class LocalBus implements RelayBus {
  readonly kind = "local";

  setHandlers(): void {}
  async watchDevice(): Promise<void> {}
  unwatchDevice(): void {}
  publishDevice(): void {}
  watchTopic(): void {}
  unwatchTopic(): void {}
  publishTopic(): void {}

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

  async close(): Promise<void> {}
}
