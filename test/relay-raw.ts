/** A raw protocol client for tests that must speak (or mangle) frames by hand. */
import { WebSocket } from "ws";
import { type Ed25519Backend, ed25519 } from "../core/crypto/ed25519.js";
import type { SigningKeyPair } from "../core/crypto/identity.js";
import { signRelayChallenge } from "../core/crypto/relay-auth.js";
import { decodeFrame, encodeFrame } from "../core/wire/frame.js";
import type { ChallengeFrame, Frame } from "../core/wire/frame-types.js";

export class RawClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    // A reset after open is reported by "close", which follows.
    ws.on("error", () => {});
    ws.on("message", (data: Buffer) => {
      this.frames.push(decodeFrame(new Uint8Array(data)));
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const w of this.waiters.splice(0)) w();
      }),
    );
  }

  /** Opens /v1, from `localAddress` (any of 127/8 on Linux) to appear as another client IP. */
  static async open(url: string, localAddress?: string): Promise<RawClient> {
    const ws = new WebSocket(`${url}/v1`, localAddress ? { localAddress } : {});
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return new RawClient(ws);
  }

  send(frame: Frame | Uint8Array): void {
    this.ws.send(frame instanceof Uint8Array ? frame : encodeFrame(frame));
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** The first received frame (from index `from`) matching the predicate. */
  async next<T extends Frame["type"]>(
    type: T,
    from = 0,
    timeoutMs = 10_000,
  ): Promise<Extract<Frame, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(from).find((f) => f.type === type);
      if (found) return found as Extract<Frame, { type: T }>;
      if (this.ws.readyState === WebSocket.CLOSED)
        throw new Error(`closed before a ${type} frame arrived`);
      if (Date.now() > deadline) throw new Error(`no ${type} frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async hello(): Promise<ChallengeFrame> {
    this.send({ type: "hello", client: "raw-test", minVersion: 1, maxVersion: 1 });
    return this.next("challenge");
  }

  /** Full login as `keys`, signing for `origin`. */
  async login(keys: SigningKeyPair, origin: string, accessToken = ""): Promise<void> {
    const challenge = await this.hello();
    const backend: Ed25519Backend = await ed25519();
    const signature = await signRelayChallenge(backend, keys.secretKey, challenge.nonce, origin);
    this.send({ type: "auth", device: keys.publicKey, signature, accessToken });
    await this.next("authOk");
  }

  close(): void {
    this.ws.close();
  }

  /** Stops reading the socket: the relay's writes then pile up on its side. */
  stopReading(): void {
    (this.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }
}
