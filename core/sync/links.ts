/**
 * The real paths a SyncEngine runs, wired to the hooks it hands them: a
 * RelayTransport for the relay, and a DirectTransport over a peer mesh
 * (y-webrtc in the app, a loopback hub in Node tests) for each space.
 * The engine itself knows only the interfaces in transport.ts.
 */

import type { SpaceAccess } from "../space/access.js";
import { DirectTransport, type PeerMesh } from "./direct-transport.js";
import { RelayTransport, type RelayTransportOptions } from "./relay-transport.js";
import type { SyncEngine } from "./sync-engine.js";
import type { DirectPathFactory, RelayPathFactory } from "./transport.js";

/** The engine as the app runs it: the real relay link and direct meshes. */
export type AppSyncEngine = SyncEngine<RelayTransport, DirectTransport>;

export type RelayLinkOptions = Omit<
  RelayTransportOptions,
  "device" | "backend" | "onDeliver" | "outbox"
>;

export function relayLink(options: RelayLinkOptions): RelayPathFactory<RelayTransport> {
  return (hooks) => {
    const relay = new RelayTransport({
      ...options,
      device: hooks.device,
      backend: hooks.backend,
      outbox: hooks.outbox,
      onDeliver: (d) => hooks.take(d.envelope),
    });
    relay.on("uplink", hooks.uplink);
    relay.on("status", hooks.status);
    relay.on("error", hooks.error);
    return relay;
  };
}

export interface DirectLinkOptions {
  /** A target silent this long after a send goes through the relay instead (ms). */
  ackTimeoutMs?: number;
}

/** A direct path per space over the mesh `meshFor` opens for it. */
export function directLink(
  meshFor: (access: SpaceAccess) => PeerMesh,
  options: DirectLinkOptions = {},
): DirectPathFactory<DirectTransport> {
  return (access, hooks) => {
    const mesh = meshFor(access);
    mesh.on("peers", hooks.peersChanged);
    return new DirectTransport({
      mesh,
      device: hooks.device,
      outbox: hooks.outbox,
      take: hooks.take,
      undelivered: hooks.undelivered,
      uplink: hooks.uplink,
      ackTimeoutMs: options.ackTimeoutMs,
    });
  };
}
