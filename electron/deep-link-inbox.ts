/**
 * Holds deep links until the page is ready for them. Links arrive from the
 * OS at any time (before the window exists, during a reload); the page
 * subscribes once its preload runs. Until then links queue (at most a few:
 * a flood of launches must not grow memory); after, they go straight to the
 * page's sink. A new page load detaches the sink and links queue again.
 */
import type { DeepLink } from "./deep-link.js";

export const MAX_PENDING_LINKS = 8;

export class DeepLinkInbox {
  #pending: string[] = [];
  #sink: ((url: string) => void) | undefined;

  deliver(link: DeepLink): void {
    if (this.#sink) {
      this.#sink(link.url);
      return;
    }
    this.#pending.push(link.url);
    if (this.#pending.length > MAX_PENDING_LINKS) this.#pending.shift();
  }

  /** Routes future links to `sink` and returns those that waited. */
  subscribe(sink: (url: string) => void): string[] {
    this.#sink = sink;
    const waiting = this.#pending;
    this.#pending = [];
    return waiting;
  }

  detach(): void {
    this.#sink = undefined;
  }
}
