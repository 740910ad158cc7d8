// Admin calls through @platformatic/kafka, each in a worker thread with a memory limit and a
// deadline. The client is pure JavaScript talking to whatever answers at the bootstrap address; a
// malformed frame can throw inside its socket handler (seen with a negative frame size: an uncaught
// "Out of bounds"), and a huge frame size makes it buffer. In a worker that is an error of this
// call, not the end of `weir deploy`; the deadline ends a broker that never answers.
import { Worker } from 'node:worker_threads';
import type { KafkaConnection } from './client-config.ts';
import type { AdminCall, AdminReply } from './admin-call.ts';
import { ADMIN_TIMEOUT_MS, bootstrapBrokers } from './config-admin.ts';

const ENTRY = new URL(`./admin-call${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** Loading the client in a fresh worker takes about a second in a development checkout. */
const STARTUP_MS = 30_000;

function start(call: AdminCall): Worker {
  // No flags of the parent (an --input-type or a loader there would break the worker's start).
  const options = { workerData: call, resourceLimits: { maxOldGenerationSizeMb: 128 }, stdout: true, stderr: true, execArgv: [] };
  if (!ENTRY.pathname.endsWith('.ts')) return new Worker(ENTRY, options);
  // A development checkout runs TypeScript through tsx (bin/weir.js): the worker registers it too.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(ENTRY.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}

export function callAdmin<T>(
  conn: KafkaConnection,
  method: AdminCall['method'],
  request: unknown,
  what: string,
  timeoutMs = ADMIN_TIMEOUT_MS,
): Promise<T> {
  const where = `${what} via ${conn.bootstrapServers}`;
  return new Promise<T>((resolve, reject) => {
    const worker = start({ conn, method, request, timeoutMs });
    let settled = false;
    const finish = (err: Error | undefined, value?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      if (err) reject(err);
      else resolve(value as T);
    };
    // The client's own timeouts bound each connection attempt (every bootstrap server in turn) and
    // request; the deadline bounds the whole call once the worker has loaded.
    const deadlineMs = timeoutMs * (bootstrapBrokers(conn).length + 1) + 1_000;
    const expire = (ms: number, what: string) => setTimeout(() => finish(new Error(`${where}: ${what} within ${ms} ms`)), ms);
    let timer = expire(STARTUP_MS, 'the admin client did not start');
    worker.on('message', (reply: AdminReply) => {
      if ('ready' in reply) {
        clearTimeout(timer);
        timer = expire(deadlineMs, 'no answer');
      } else if (reply.ok) finish(undefined, reply.result as T);
      else finish(new Error(`${where}: ${reply.message}`));
    });
    worker.on('error', (err) => finish(new Error(`${where}: the response could not be read (${err.message})`, { cause: err })));
    worker.on('exit', (code) => finish(new Error(`${where}: the admin client stopped (exit ${code})`)));
  });
}
