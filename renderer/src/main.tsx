import { createRoot } from "react-dom/client";
import { GroveClient } from "./model/client.js";
import { App } from "./ui/App.js";
import "./styles.css";

const client = new GroveClient();
// For the end-to-end tests and the bench, which read state they cannot see on screen.
(globalThis as unknown as { groveClient: GroveClient }).groveClient = client;
createRoot(document.getElementById("root")!).render(<App client={client} />);
void client.open();
