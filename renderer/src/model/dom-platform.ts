/** The client's platform in a browser window or the desktop shell's renderer. */
import { IdbStore } from "../../../core/store/dom-idb-store.js";
import { WebrtcMesh } from "../../../core/sync/dom-webrtc-mesh.js";
import { workerOpener } from "../../../core/sync/dom-worker-opener.js";
import type { WebSocketLike } from "../../../core/sync/websocket.js";
import { passphraseKey, storageKeySource } from "./dom-storage-key.js";
import type { ClientPlatform } from "./platform.js";
import { ProfileLock } from "./profile-lock.js";
import { desktopShell } from "./shell.js";

export function browserPlatform(): ClientPlatform {
  const shell = desktopShell();
  return {
    shell,
    keySource: () => storageKeySource(shell),
    passphraseKey,
    openStore: () => IdbStore.open("grove"),
    connect: (url) => new WebSocket(url) as unknown as WebSocketLike,
    ...(!noDirect() && { direct: (options) => new WebrtcMesh(options) }),
    opener: () => {
      // One worker for the app's life, shared by every profile's engine and space; Vite bundles
      // it as its own module (worker.format "es" in vite.config.ts), served from 'self'.
      openWorker ??= workerOpener(
        new Worker(new URL("../../../core/sync/dom-open-worker.ts", import.meta.url), {
          type: "module",
        }),
      );
      // Test-hooks builds: the e2e tests check the worker serves batches under the app's CSP.
      if (__GROVE_TEST_HOOKS__) (globalThis as { groveOpener?: unknown }).groveOpener = openWorker;
      return openWorker;
    },
    online: () => navigator.onLine,
    watchNetwork: (onChange) => {
      window.addEventListener("online", onChange);
      window.addEventListener("offline", onChange);
    },
    engineLock: (onAsked) => new ProfileLock(onAsked),
    reload: () => location.reload(),
  };
}

let openWorker: ReturnType<typeof workerOpener> | undefined;

/** No direct mesh, the relay alone: for tests of the relay's path (test-hooks builds only). */
const noDirect = () =>
  __GROVE_TEST_HOOKS__ && (globalThis as { groveNoDirect?: boolean }).groveNoDirect === true;
