import { SqliteRelayStore } from "../relay/store/sqlite-store.js";
import { removeDir, tempDir } from "./relay-harness.js";
import { runRelayStoreTests } from "./relay-store-suite.js";

runRelayStoreTests("SQLite", async () => {
  const dir = tempDir("grove-store-");
  let store = new SqliteRelayStore(dir);
  return {
    store,
    async reopen() {
      await store.close();
      store = new SqliteRelayStore(dir);
      return store;
    },
    async cleanup() {
      await store.close();
      removeDir(dir);
    },
  };
});
