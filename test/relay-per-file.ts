/**
 * One real relay process for all the tests of a vitest file: started before
 * the first, killed and its data removed after the last. (Vitest only: the
 * Playwright specs start theirs with their own hooks.)
 */
import { afterAll, beforeAll } from "vitest";
import { type RelayProcess, removeDir, startRelayProcess } from "./relay-harness.js";

export function relayPerFile(args: string[] = []): {
  readonly process: RelayProcess;
  readonly url: string;
} {
  let relay: RelayProcess | undefined;
  beforeAll(async () => {
    relay = await startRelayProcess({ args });
  });
  afterAll(async () => {
    await relay?.kill();
    if (relay) removeDir(relay.dataDir);
  });
  return {
    get process() {
      if (!relay) throw new Error("relay not started yet (use it inside a test)");
      return relay;
    },
    get url() {
      return this.process.url;
    },
  };
}
