/**
 * People for the client-model tests in Node: each a GroveClient over its own
 * platform (a real EncryptedStore over a FileStore in a temporary directory),
 * all on one real relay per test file. Clients are stopped and their
 * directories removed after each test.
 */
import { afterEach, expect } from "vitest";
import { GroveClient } from "../renderer/src/model/client.js";
import type { ClientPlatform } from "../renderer/src/model/platform.js";
import type { SpaceHandle } from "../renderer/src/model/space-handle.js";
import type { ToolPlugin } from "../renderer/src/model/tool-plugin.js";
import { TOOL_PLUGINS } from "../renderer/src/tools/registry.js";
import { type TestPlatform, testPlatform } from "./client-platform.js";
import { removeDir, waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";

export interface ClientPeople {
  readonly relay: { readonly url: string };
  /** A fresh device: its own directory, removed after the test. */
  platform(options?: { passphrase?: boolean }): TestPlatform;
  /** A client opened on `p` (a restart when `p` held one before). */
  started(p: ClientPlatform, tools?: readonly ToolPlugin[]): Promise<GroveClient>;
  /** Someone onboarded on a fresh device (or on `p`), with the app's tools. */
  person(name: string, p?: TestPlatform, tools?: readonly ToolPlugin[]): Promise<GroveClient>;
  /** `guest` joins `space` of `host` by a one-time member invite, and both see it. */
  letIn(host: GroveClient, space: SpaceHandle, guest: GroveClient): Promise<SpaceHandle>;
}

/** `relayArgs`: flags for the file's relay (its limits, say). */
export function clientPeople(options: { relayArgs?: string[] } = {}): ClientPeople {
  const relay = relayPerFile(options.relayArgs);
  const running: GroveClient[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const c of running.splice(0)) await c.stop();
    for (const d of dirs.splice(0)) removeDir(d);
  });

  const platform = (options: { passphrase?: boolean } = {}): TestPlatform => {
    const p = testPlatform(options);
    dirs.push(p.dir);
    return p;
  };
  const started = async (p: ClientPlatform, tools: readonly ToolPlugin[] = TOOL_PLUGINS) => {
    const client = new GroveClient(p, [...tools]);
    running.push(client);
    await client.open();
    return client;
  };
  return {
    relay,
    platform,
    started,
    async person(name, p = platform(), tools = TOOL_PLUGINS) {
      const client = await started(p, tools);
      expect(client.phase).toBe("onboarding");
      await client.onboard({
        name,
        email: "",
        deviceName: `${name}'s laptop`,
        relayUrl: relay.url,
      });
      return client;
    },
    async letIn(host, space, guest) {
      const { url } = await host.invite(space.id, {
        role: "member",
        mode: "open",
        expiresInHours: 24,
        oneTime: true,
      });
      const before = space.members().length;
      const handle = await guest.join(url);
      await waitFor(() => handle.isMember, "the guest let in", 30_000);
      await waitFor(() => space.members().length > before, "the host sees the new member");
      return handle;
    },
  };
}
