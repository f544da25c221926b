/**
 * Limits counted per source, not per device key, because keys are free to
 * mint: a source is the client's IP (IPv6 by /64), or on a closed relay the
 * access token it logged in with. Per-key limits stay where they were; these
 * sit beside them so that minting keys buys nothing.
 */
import type { RelayConfig } from "./config.js";
import { BucketMap } from "./rate-limit.js";
import { SlotLimiter } from "./slots.js";

const HOUR_MS = 3600_000;

export class SourceLimits {
  /** Logged-in /v1 connections per source. */
  readonly connections: SlotLimiter;
  /** SEND and BLOB_PUT bytes per second per source. */
  readonly sendBytes: BucketMap;
  /** Ephemeral frames per second to one target, from everyone. */
  readonly ephemeralTarget: BucketMap;
  /** Ephemeral frames per second to one target from one source. */
  readonly ephemeralSourceTarget: BucketMap;
  readonly newDevices: NewDeviceLimit;

  constructor(c: RelayConfig) {
    this.connections = new SlotLimiter(c.connectionsPerSource, Number.MAX_SAFE_INTEGER);
    this.sendBytes = new BucketMap(c.rateSendBytesPerSource, 2 * c.rateSendBytesPerSource);
    this.ephemeralTarget = new BucketMap(c.ephemeralPerTarget, 2 * c.ephemeralPerTarget);
    this.ephemeralSourceTarget = new BucketMap(
      c.ephemeralPerSourceTarget,
      2 * c.ephemeralPerSourceTarget,
    );
    this.newDevices = new NewDeviceLimit(c.newDevicesPerHour, HOUR_MS);
  }

  prune(): void {
    this.sendBytes.prune();
    this.ephemeralTarget.prune();
    this.ephemeralSourceTarget.prune();
    this.newDevices.prune();
  }
}

/**
 * How many device keys a source may log in with that it has not used in the
 * last window. A device that keeps reconnecting is one key, counted once;
 * a script minting a key per connection runs out.
 */
export class NewDeviceLimit {
  private readonly seen = new Map<string, Map<string, number>>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  allow(source: string, device: string): boolean {
    const t = this.now();
    let devices = this.seen.get(source);
    if (!devices) {
      devices = new Map();
      this.seen.set(source, devices);
    }
    if (devices.has(device)) {
      devices.set(device, t);
      return true;
    }
    for (const [key, at] of devices) if (t - at >= this.windowMs) devices.delete(key);
    if (devices.size >= this.limit) return false;
    devices.set(device, t);
    return true;
  }

  prune(): void {
    const t = this.now();
    for (const [source, devices] of this.seen) {
      for (const [key, at] of devices) if (t - at >= this.windowMs) devices.delete(key);
      if (devices.size === 0) this.seen.delete(source);
    }
  }
}
