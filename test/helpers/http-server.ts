// A local HTTP receiver for sink tests: records every request (idempotency key, body, time) and
// answers as told per event id: fail the first attempts with a status, or always reject.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll } from 'vitest';

export interface Received {
  key: string;
  id: string;
  at: number;
  status: number;
}

export interface Behaviour {
  /** id → [status, times]: answer `status` to the first `times` requests of that id. */
  failFirst?: Map<string, [number, number]>;
  /** ids answered 400 every time. */
  reject?: Set<string>;
  retryAfterSeconds?: number;
}

export async function receiver(
  behaviour: Behaviour = {},
): Promise<{ url: string; received: Received[]; ok(): Received[]; server: Server }> {
  const received: Received[] = [];
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const id = (JSON.parse(body || '{}') as { id?: string }).id ?? '';
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      const fail = behaviour.failFirst?.get(id);
      let status = 200;
      if (behaviour.reject?.has(id)) status = 400;
      else if (fail && n <= fail[1]) status = fail[0];
      received.push({ key: String(req.headers['idempotency-key'] ?? ''), id, at: Date.now(), status });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (status === 429 && behaviour.retryAfterSeconds !== undefined) headers['retry-after'] = String(behaviour.retryAfterSeconds);
      res.writeHead(status, headers);
      res.end(status === 400 ? JSON.stringify({ error: `order ${id} is invalid` }) : '{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`,
    received,
    ok: () => received.filter((r) => r.status < 300),
    server,
  };
}

/** An HTTP sink step from `<in>` to $NOTIFY_URL. */
export const httpTopology =
  (opts: { partitions?: number; rate?: number; extra?: string; retry?: string }) => (id: string) => `pipeline: h${id}
topics:
  in.${id}: { partitions: ${opts.partitions ?? 3}, value: schemas/Event.avsc }
steps:
  notify-${id}:
    input: in.${id}
    sink:
      http:
        url: \${NOTIFY_URL}
        timeout: 5s
${opts.extra ?? ''}    batch: { records: 200, time: 50ms }
    retry: ${opts.retry ?? '{ delays: [500ms, 1s] }'}
${opts.rate ? `    rateLimit: { perSecond: ${opts.rate}, burst: ${opts.rate}, scope: redis }\n` : ''}`;
