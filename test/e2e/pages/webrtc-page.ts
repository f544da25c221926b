/** A stock y-webrtc client, to prove the relay's /signal works for it. */
import { WebrtcProvider } from "y-webrtc";
import * as Y from "yjs";

let doc: Y.Doc | undefined;
let provider: WebrtcProvider | undefined;

const api = {
  join(signalingUrl: string, room: string, password: string) {
    doc = new Y.Doc();
    provider = new WebrtcProvider(room, doc, {
      signaling: [signalingUrl],
      password,
      // Loopback only: host candidates, no STUN/TURN.
      peerOpts: { config: { iceServers: [] } },
    });
  },
  insert(text: string) {
    doc!.getText("t").insert(0, text);
  },
  text() {
    return doc!.getText("t").toString();
  },
  /** Peers reached over a WebRTC data channel (not BroadcastChannel). */
  webrtcPeers() {
    const room = provider!.room;
    if (!room) return 0;
    return [...room.webrtcConns.values()].filter((c) => c.connected).length;
  },
  signalingConnected() {
    return provider!.signalingConns.some((c) => c.connected);
  },
  leave() {
    provider?.destroy();
    doc?.destroy();
  },
};

(globalThis as unknown as { grove: typeof api }).grove = api;
