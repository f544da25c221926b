/**
 * What the client needs from where it runs, as one seam: the browser (and the
 * desktop shell's renderer) gives IndexedDB, WebSocket, y-webrtc, the OS's
 * network events and a Web Lock (dom-platform.ts); Node tests give a file
 * store, the `ws` client and a switch for the network, and run the same
 * GroveClient without a browser.
 */
import type { Ed25519Backend } from "../../../core/crypto/ed25519.js";
import type { SigningKeyPair } from "../../../core/crypto/identity.js";
import type { SpaceAccess } from "../../../core/space/access.js";
import type { EnvelopeOpener } from "../../../core/space/prefetch-opener.js";
import type { Store } from "../../../core/store/store.js";
import type { PeerMesh } from "../../../core/sync/direct-transport.js";
import type { WebSocketLike } from "../../../core/sync/websocket.js";
import type { GroveShell } from "../../../electron/shell-api.js";
import type { KeySource } from "./dom-storage-key.js";

/** One engine per profile: the holder runs it; another holder asks it to stop. */
export interface EngineLock {
  readonly held: boolean;
  /** True when this instance may run the engine now. */
  tryAcquire(): Promise<boolean>;
  /** Asks the holder to stop, and resolves once it has let go. */
  takeOver(): Promise<void>;
}

export interface ClientPlatform {
  /** The desktop shell's API, where the app runs in it. */
  readonly shell: GroveShell | undefined;
  /** The storage key as this environment keeps it (or that a passphrase is needed). */
  keySource(): Promise<KeySource>;
  /** The key from a passphrase; `choose` records a new one (first start). */
  passphraseKey(passphrase: string, choose: boolean): Promise<CryptoKey>;
  /** The raw local store the encrypted store seals records into. */
  openStore(): Promise<Store>;
  connect(url: string): WebSocketLike;
  /** The direct mesh of one space; absent where this environment has none. */
  readonly direct?: (options: {
    relayUrl: string;
    access: SpaceAccess;
    device: SigningKeyPair;
    backend: Ed25519Backend;
  }) => PeerMesh;
  /**
   * Opens what the spaces receive off the UI thread (a Web Worker in the
   * browser, made once and kept for the app's life); absent: on this thread.
   */
  readonly opener?: () => EnvelopeOpener;
  /** Whether the OS says the network is up, and its changes. */
  online(): boolean;
  watchNetwork(onChange: () => void): void;
  /** The engine lock; `onAsked` stops this instance's engine when another takes over. */
  engineLock(onAsked: () => Promise<void>): EngineLock;
  /** Starts the app afresh (after "Use here"). */
  reload(): void;
}
