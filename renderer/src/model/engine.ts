/** The sync engine of one profile, with the relay link and direct meshes its platform has. */
import { type AppSyncEngine, directLink, relayLink } from "../../../core/sync/links.js";
import { SyncEngine } from "../../../core/sync/sync-engine.js";
import type { Vault } from "./client-state.js";
import type { ClientPlatform } from "./platform.js";
import type { Profile } from "./profile.js";

export function makeEngine(
  platform: ClientPlatform,
  vault: Vault,
  profile: Profile,
): AppSyncEngine {
  const { connect, direct, opener } = platform;
  return new SyncEngine({
    device: profile.device.sign,
    backend: vault.backend,
    store: vault.store,
    relay: relayLink({ url: profile.relayUrl, connect, clientName: "grove-app" }),
    // A space listed from its summary builds its doc after the list's first paint.
    space: { deferDoc: true, ...(opener && { opener: opener() }) },
    ...(direct && {
      direct: directLink((access) =>
        direct({
          relayUrl: profile.relayUrl,
          access,
          device: profile.device.sign,
          backend: vault.backend,
        }),
      ),
    }),
  });
}
