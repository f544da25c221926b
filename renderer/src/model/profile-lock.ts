/**
 * One engine per profile. Two tabs (or windows) of one profile running two
 * engines share one store and one device key: both number envelopes from
 * the same seq, the relay keeps one connection per device, and messages are
 * lost (issue 17). So the tab that holds a Web Lock runs the engine; any
 * other says "Grove is open in another tab" and offers "Use here", which
 * asks the holder over a BroadcastChannel to stop (it flushes and closes
 * everything first) and waits for the lock before starting.
 *
 * Where the browser has no Web Locks (very old ones), there is no second
 * tab to guard against in practice, and the lock always holds.
 */

const LOCK = "grove-engine";
const CHANNEL = "grove-engine";

type Locks = {
  request(
    name: string,
    options: { ifAvailable?: boolean },
    callback: (lock: unknown) => Promise<void>,
  ): Promise<void>;
};

function locks(): Locks | undefined {
  return (globalThis.navigator as { locks?: Locks } | undefined)?.locks;
}

export class ProfileLock {
  private release: (() => void) | undefined;
  private readonly channel: BroadcastChannel | undefined =
    typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : undefined;

  /**
   * @param onAsked another tab asked for the engine: stop it, then resolve;
   *   the lock is let go once that resolves.
   */
  constructor(private readonly onAsked: () => Promise<void>) {
    this.channel?.addEventListener("message", (event: MessageEvent) => {
      if (event.data === "yield" && this.release) void this.yieldNow();
    });
  }

  get held(): boolean {
    return this.release !== undefined;
  }

  /** Takes the lock if no other tab holds it; true when this tab may run the engine. */
  tryAcquire(): Promise<boolean> {
    const api = locks();
    if (!api) {
      this.release = () => undefined;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      void api.request(LOCK, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(false);
          return Promise.resolve();
        }
        resolve(true);
        return new Promise<void>((done) => {
          this.release = done;
        });
      });
    });
  }

  /**
   * "Use here": asks the tab holding the lock to stop, and resolves once it
   * has let go (or closed). The caller then starts afresh (a reload).
   */
  async takeOver(): Promise<void> {
    const api = locks();
    if (!api) return;
    this.channel?.postMessage("yield");
    await api.request(LOCK, {}, () => Promise.resolve());
  }

  private async yieldNow(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    try {
      await this.onAsked();
    } finally {
      release?.();
    }
  }
}
