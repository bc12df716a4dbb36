// WAL checkpoints off the event loop: a worker thread with its own connection copies the WAL back
// into the database file every half second.
//
// By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that commit,
// on the event loop, copies ~4 MB and syncs the file. Under the bench's load that happened every
// second or so and was the longest pause of the event loop. PASSIVE checkpoints from another
// connection never block the writer; the server's own connection only checkpoints as a safety net,
// should the WAL reach SAFETY_NET_PAGES anyway (the worker stuck or gone).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

/** 40 MB of WAL: only reached if the worker cannot keep up or has stopped. */
export const SAFETY_NET_PAGES = 10_000;
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 500;

/** CommonJS, evaluated in the worker: it needs nothing from the server but the driver and the path. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: 5000 });
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Retried at the next interval; meanwhile the server's connection's safety net bounds the WAL.
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stops the worker once its current checkpoint (if any) is done. */
  close(): Promise<void>;
}

/**
 * Starts the checkpoint worker for the database file that `raw` has open, and moves `raw`'s own
 * automatic checkpoints to the safety net.
 */
export function startCheckpointer(
  raw: BetterSqlite3.Database,
  file: string,
  options: { intervalMs?: number } = {},
): Checkpointer {
  raw.pragma(`wal_autocheckpoint = ${String(SAFETY_NET_PAGES)}`);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      file,
      intervalMs: options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
    },
  });
  // The server's exit does not wait for it.
  worker.unref();
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      resolve();
    });
  });
  return {
    close() {
      // Waited for: it must keep the process alive until it has closed its connection.
      worker.ref();
      worker.postMessage('close');
      return exited;
    },
  };
}
