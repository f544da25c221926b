// FileStore's writes, on a worker thread (see node-file-store.ts for the
// protocol and why). Plain JavaScript, so a worker needs no TypeScript loader
// under tsx, vitest or Node alone.
//
// A batch: its records in one buffer (handed over, not copied), each to its temp file, each fsynced (WIDTH at a time), then
// renamed onto its name, then the directory fsynced once. On a failure no new
// file operation starts; the temp files are removed and the first error goes
// back with the key it concerns (none for the directory's own sync).
// biome-ignore lint/correctness/noNodejsModules: a Node worker thread (node-* files are Node only)
import { open, rename, rm } from "node:fs/promises";
// biome-ignore lint/correctness/noNodejsModules: as above
import { parentPort } from "node:worker_threads";

/** File operations of one batch in flight at once (libuv runs four at a time by default). */
const WIDTH = 16;

class KeyedError extends Error {
  constructor(message, key) {
    super(message);
    this.key = key;
  }
}

parentPort.on("message", async (request) => {
  try {
    if (request.type === "put") await putAll(request.dir, request.writes, request.data);
    else await deleteAll(request.paths);
    parentPort.postMessage({ id: request.id, ok: true });
  } catch (err) {
    parentPort.postMessage({
      id: request.id,
      ok: false,
      message: err instanceof Error ? err.message : String(err),
      key: err instanceof KeyedError ? err.key : undefined,
    });
  }
});

async function putAll(dir, writes, data) {
  try {
    await eachLimited(writes, (w) =>
      keyed(w.key, () => writeSynced(w.temp, data.subarray(w.offset, w.offset + w.length))),
    );
    await eachLimited(writes, (w) => keyed(w.key, () => rename(w.temp, w.target)));
    await syncDir(dir);
  } catch (err) {
    await Promise.all(writes.map((w) => rm(w.temp, { force: true })));
    throw err;
  }
}

async function deleteAll(paths) {
  await eachLimited(paths, ({ key, path }) => keyed(key, () => rm(path, { force: true })));
}

async function writeSynced(path, value) {
  const file = await open(path, "w");
  try {
    await file.writeFile(value);
    await file.sync();
  } finally {
    await file.close();
  }
}

async function syncDir(dir) {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function keyed(key, work) {
  try {
    await work();
  } catch (err) {
    throw new KeyedError(err instanceof Error ? err.message : String(err), key);
  }
}

/** Runs `work` over `items`, WIDTH at a time; rejects with the first error once none is in flight. */
async function eachLimited(items, work) {
  const queue = items.values();
  let failure;
  const worker = async () => {
    for (let step = queue.next(); failure === undefined && !step.done; step = queue.next()) {
      try {
        await work(step.value);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(WIDTH, items.length) }, worker));
  if (failure) throw failure.error;
}
