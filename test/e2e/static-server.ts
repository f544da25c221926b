/**
 * Serves test pages from a real HTTP server on 127.0.0.1. Chromium's Local
 * Network Access checks block a page fulfilled by a route (no address, so
 * "public") from opening a WebSocket to loopback; a page really loaded from
 * loopback may.
 */
import { createServer, type Server } from "node:http";

export interface StaticServer {
  origin: string;
  close(): Promise<void>;
}

export async function serveStatic(files: Record<string, { type: string; body: string }>) {
  const server: Server = createServer((req, res) => {
    const file = files[new URL(req.url ?? "/", "http://x").pathname];
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": file.type }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  } satisfies StaticServer;
}
