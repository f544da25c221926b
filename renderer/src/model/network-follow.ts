/**
 * The OS's network events, followed once per client whatever session runs:
 * offline pauses the running engine's transports (edits wait in the
 * outbox), online resumes them and has the spaces announce presence again.
 */
import type { AppSyncEngine } from "../../../core/sync/links.js";
import type { ClientPlatform } from "./platform.js";

export interface NetworkHost {
  readonly engine: AppSyncEngine | undefined;
  /** Runs work whose failure the banner shows. */
  attempt(what: string, work: () => Promise<unknown>): Promise<void>;
  changed(): void;
}

export class NetworkFollower {
  private isOffline = false;
  private following = false;

  constructor(
    private readonly platform: ClientPlatform,
    private readonly host: NetworkHost,
    /** Back online: what the spaces do then (announce presence). */
    private readonly resumed: () => void,
  ) {}

  /** The OS says the network is gone: transports are paused, edits wait. */
  get offline(): boolean {
    return this.isOffline;
  }

  follow(): void {
    if (this.following) return;
    this.following = true;
    this.platform.watchNetwork(() => {
      const offline = !this.platform.online();
      if (offline === this.isOffline) return;
      this.isOffline = offline;
      const engine = this.host.engine;
      if (offline) void this.host.attempt("Going offline", async () => engine?.pause());
      else {
        engine?.resume();
        this.resumed();
      }
      this.host.changed();
    });
  }
}
