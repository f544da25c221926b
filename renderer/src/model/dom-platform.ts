/** The client's platform in a browser window or the desktop shell's renderer. */
import { IdbStore } from "../../../core/store/dom-idb-store.js";
import { WebrtcMesh } from "../../../core/sync/dom-webrtc-mesh.js";
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
    direct: (options) => new WebrtcMesh(options),
    online: () => navigator.onLine,
    watchNetwork: (onChange) => {
      window.addEventListener("online", onChange);
      window.addEventListener("offline", onChange);
    },
    engineLock: (onAsked) => new ProfileLock(onAsked),
    reload: () => location.reload(),
  };
}
