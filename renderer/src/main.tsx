import { createRoot } from "react-dom/client";
import { type RecentErrors, recentErrors } from "../../core/diagnostics/recent-errors.js";
import { GroveClient } from "./model/client.js";
import { browserPlatform } from "./model/dom-platform.js";
import { TOOL_PLUGINS } from "./tools/registry.js";
import { App } from "./ui/App.js";
import "./styles.css";

const client = new GroveClient(browserPlatform(), TOOL_PLUGINS);
// Only in builds for the bench and tests, which read state they cannot see on screen: a
// user's build does not hand its client (keys included) to every script on the page.
if (__GROVE_TEST_HOOKS__) {
  const hooks = globalThis as unknown as { groveClient: GroveClient; groveErrors: RecentErrors };
  hooks.groveClient = client;
  // The background-failure log, so a test can put a failure in it and read the panel's list.
  hooks.groveErrors = recentErrors;
}
const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root to render into");
createRoot(root).render(<App client={client} />);
void client.open();
