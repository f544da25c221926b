import { createRoot } from "react-dom/client";
import { GroveClient } from "./model/client.js";
import { browserPlatform } from "./model/dom-platform.js";
import { App } from "./ui/App.js";
import "./styles.css";

const client = new GroveClient(browserPlatform());
// Only in builds for the bench and tests, which read state they cannot see on screen: a
// user's build does not hand its client (keys included) to every script on the page.
if (__GROVE_TEST_HOOKS__)
  (globalThis as unknown as { groveClient: GroveClient }).groveClient = client;
const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
createRoot(root).render(<App client={client} />);
void client.open();
