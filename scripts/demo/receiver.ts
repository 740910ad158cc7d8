// The demo's notification provider: accepts POST /notify, deduplicates by Idempotency-Key (as the
// HTTP sink's contract asks of receivers), and answers 503 to a few first attempts (a provider
// having a bad moment) so that the retry tiers have something to do.
import { createServer } from 'node:http';

export interface Provider {
  url: string;
  /** Distinct idempotency keys accepted. */
  delivered: Set<string>;
  /** Requests answered 2xx for a key already delivered (a duplicate the key absorbed). */
  duplicates: number;
  unavailable: number;
  close(): Promise<void>;
}

export async function startProvider(port: number, unavailablePercent: number): Promise<Provider> {
  const delivered = new Set<string>();
  const attempted = new Set<string>();
  const provider: Provider = {
    url: `http://127.0.0.1:${port}/notify`,
    delivered,
    duplicates: 0,
    unavailable: 0,
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      if (!key) {
        res.writeHead(400).end('Idempotency-Key required');
        return;
      }
      let h = 0;
      for (const c of key) h = (h * 31 + c.charCodeAt(0)) >>> 0;
      if (!attempted.has(key) && h % 100 < unavailablePercent) {
        attempted.add(key);
        provider.unavailable++;
        res.writeHead(503, { 'retry-after': '1' }).end('busy');
        return;
      }
      attempted.add(key);
      if (delivered.has(key)) provider.duplicates++;
      delivered.add(key);
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"queued"}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `port ${port} is in use; the demo's notification provider needs it (set NOTIFY_URL and DEMO_PROVIDER_PORT to move it)`,
            )
          : err,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  provider.close = () => new Promise((r) => server.close(() => r()));
  return provider;
}
