/**
 * One real relay process for all the tests of a vitest file: started before
 * the first, killed and its data removed after the last. (Vitest only: the
 * Playwright specs start theirs with their own hooks.)
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import {
  device,
  type RelayProcess,
  removeDir,
  startRelayProcess,
  type TestDevice,
} from "./relay-harness.js";

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

/**
 * Relays a test starts with flags of its own (real processes): the returned
 * function starts one; each is killed and its data removed after the test.
 */
export function relaysPerTest(): (
  args?: string[],
  options?: Omit<Parameters<typeof startRelayProcess>[0], "args">,
) => Promise<RelayProcess> {
  const running: RelayProcess[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) {
      await r.kill();
      removeDir(r.dataDir);
    }
  });
  return async (args = [], options = {}) => {
    const r = await startRelayProcess({ ...options, args });
    running.push(r);
    return r;
  };
}

/**
 * Devices a test makes (relay transports, not started): the returned function
 * makes one; each is stopped after the test.
 */
export function devicesPerTest(): (...args: Parameters<typeof device>) => Promise<TestDevice> {
  const made: TestDevice[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((d) => d.client.stop()));
  });
  return async (...args) => {
    const d = await device(...args);
    made.push(d);
    return d;
  };
}
