/** A stock y-webrtc client, to prove the relay's /signal works for it. */
import { WebrtcProvider } from "y-webrtc";
import * as Y from "yjs";

let doc: Y.Doc | undefined;
let provider: WebrtcProvider | undefined;
const arrivals = new Map<string, number>();

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
  /** For the latency bench: pushes `text` to an array and returns when (ms since the epoch). */
  insertTimed(text: string) {
    const at = performance.timeOrigin + performance.now();
    doc!.getArray("chat").push([text]);
    return at;
  },
  watchArrivals() {
    doc!.getArray<string>("chat").observe((event) => {
      const at = performance.timeOrigin + performance.now();
      for (const item of event.changes.added) {
        for (const text of item.content.getContent() as string[]) arrivals.set(text, at);
      }
    });
  },
  arrival: (text: string) => arrivals.get(text),
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
