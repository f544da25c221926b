// The peer under comparison: @y/websocket-server's own connection handler on
// a plain http + ws server (in memory, not durable), printing its port.
import { createServer } from "node:http";
import { setupWSConnection } from "@y/websocket-server/utils";
import { WebSocketServer } from "ws";

const server = createServer((_req, res) => res.writeHead(200).end("y-websocket"));
const wss = new WebSocketServer({ server });
wss.on("connection", (conn, req) => setupWSConnection(conn, req));
server.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ msg: "listening", port: server.address().port }));
});
process.on("SIGTERM", () => process.exit(0));
