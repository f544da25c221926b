/**
 * `npm run relay -- --port <p> --data <dir> --public-url <url>`: runs a relay
 * until SIGTERM or SIGINT, then shuts down gracefully (stop accepting,
 * commit, close connections). Exits 2 on bad flags or configuration.
 */
import { CommanderError } from "commander";
import { parseRelayArgs } from "./cli.js";
import { installProcessGuard } from "./process-guard.js";
import { startRelay } from "./server.js";

async function main(): Promise<void> {
  let config: ReturnType<typeof parseRelayArgs>;
  try {
    config = parseRelayArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    console.error(`relay: ${(err as Error).message}`);
    process.exit(2);
  }
  let relay: Awaited<ReturnType<typeof startRelay>>;
  try {
    // Env only, never a flag: a test seam that must not be one typo away in production.
    relay = await startRelay({
      ...config,
      injectFaults: process.env.GROVE_RELAY_INJECT_FAULTS === "1",
    });
  } catch (err) {
    console.error(`relay: cannot start: ${(err as Error).message}`);
    process.exit(2);
  }
  installProcessGuard((kind, err) => relay.noteEscaped(kind, err));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    relay
      .close()
      .then(() => process.exit(0))
      .catch((err) => {
        console.error(`relay: shutdown after ${signal} failed: ${(err as Error).message}`);
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  console.error(`relay: ${(err as Error)?.message ?? String(err)}`);
  process.exit(1);
});
