// The process's HTTP endpoints: /metrics (Prometheus text), /healthz (alive), /readyz (every
// worker joined its group, its loop is not stuck and no partition of it is stalled). Plain
// node:http, nothing else listens.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redactOutput } from './logger.ts';
import { registry } from './metrics.ts';

export interface WorkerStatus {
  step: string;
  /** Joined the group (got its first assignment, possibly empty). */
  joined: boolean;
  partitions: number;
  /** Milliseconds since the batch loop last went round. */
  sinceLoopMs: number;
  stuckAfterMs: number;
  /** Input partitions with lag whose committed offset has not moved for the stall time. */
  stalled: Array<{ partition: number; offset: number; lag: number; stalledForMs: number; lastError: string | undefined }>;
}

export interface Endpoints {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function serveEndpoints(
  port: number,
  statuses: () => WorkerStatus[],
  host = '0.0.0.0',
  /** Prometheus text (default: this process's registry; `weir run` with threads adds theirs). */
  metricsText: () => Promise<string> = () => registry.metrics(),
): Promise<Endpoints> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      metricsText().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(redactOutput(text));
        },
        (err: Error) => {
          res.writeHead(500);
          res.end(redactOutput(err.message));
        },
      );
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    if (path === '/readyz') {
      const workers = statuses().map((w) => ({ ...w, stuck: w.sinceLoopMs > w.stuckAfterMs }));
      const ready = workers.length > 0 && workers.every((w) => w.joined && !w.stuck && w.stalled.length === 0);
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ready, workers }) + '\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { address, port: bound } = server.address() as AddressInfo;
  return { host: address, port: bound, close: () => new Promise((r) => server.close(() => r())) };
}
