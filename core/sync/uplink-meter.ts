/**
 * Estimates the device's uplink from real sends: bytes handed to a
 * transport and the time until they left (data channel buffer drained, or
 * the relay acked). Never configured: a link changes under the user.
 */

export interface UplinkSample {
  bytes: number;
  /** From hand-over to drained/acked. */
  ms: number;
}

export class UplinkMeter {
  private estimate: number | undefined;
  private count = 0;

  /**
   * @param alpha weight of a new sample in the moving average
   * @param minBytes samples smaller than this mostly measure latency, not bandwidth
   */
  constructor(
    private readonly alpha = 0.3,
    private readonly minBytes = 16 * 1024,
  ) {}

  record(sample: UplinkSample): void {
    if (sample.bytes < this.minBytes || sample.ms <= 0) return;
    const rate = (sample.bytes * 1000) / sample.ms;
    this.estimate =
      this.estimate === undefined ? rate : this.alpha * rate + (1 - this.alpha) * this.estimate;
    this.count++;
  }

  /** Bytes per second, or undefined until enough has been sent to tell. */
  get bytesPerSecond(): number | undefined {
    return this.count >= 3 ? this.estimate : undefined;
  }
}
