import { WorkerRelayStore } from "../relay/store/worker-store.js";
import { removeDir, tempDir } from "./relay-harness.js";
import { runRelayStoreTests } from "./relay-store-suite.js";

runRelayStoreTests("SQLite on a worker thread", async () => {
  const dir = tempDir("grove-store-");
  let store = await WorkerRelayStore.open(dir);
  return {
    store,
    async reopen() {
      await store.close();
      store = await WorkerRelayStore.open(dir);
      return store;
    },
    async cleanup() {
      await store.close();
      removeDir(dir);
    },
  };
});
