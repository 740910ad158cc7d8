// The fault suite's HTTP receiver, in a process of its own: the test process is busy reading topics
// and tables while faults run, and a stalled event loop there would timestamp requests seconds late
// (a delivery made before Redis died would look like one made while it was down).
// Answers 200; reports { key, id, at, status } per request over IPC, `at` taken on arrival.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const server = createServer((req, res) => {
  const at = Date.now();
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const id = (JSON.parse(body || '{}') as { id?: string }).id ?? '';
    process.send!({ key: String(req.headers['idempotency-key'] ?? ''), id, at, status: 200 });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
