// The admin client against fake brokers on this machine: one that accepts the connection and never
// answers, and ones that answer with malformed frames. Each call fails within its deadline with an
// error naming the address; none crashes the process or grows without bound.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { describeTopicConfigs, alterTopicConfigs } from '../../../src/kafka/topic-configs.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A TCP server that hands each connection to `onConnection`; resolves to its address. */
async function fakeBroker(onConnection: (socket: Socket) => void): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    onConnection(s);
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  const close = server.close.bind(server);
  server.close = (cb) => {
    sockets.forEach((s) => s.destroy());
    return close(cb);
  };
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return `127.0.0.1:${port}`;
}

/** Answers every request with `frame(correlationId)`. */
const answering = (frame: (correlationId: number) => Buffer) => (s: Socket) =>
  s.on('data', (d: Buffer) => {
    if (d.length >= 12) s.write(frame(d.readInt32BE(8)));
  });

const TIMEOUT_MS = 400;

describe('the admin client against a broker that misbehaves', () => {
  it('a broker that accepts the connection and never answers: fails within the deadline, naming the address', async () => {
    const address = await fakeBroker(() => undefined);
    const started = Date.now();
    const err = await describeTopicConfigs({ bootstrapServers: address }, ['t'], TIMEOUT_MS).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(new RegExp(`^describing topic configs via ${address}: .*(Request timed out|no answer within)`));
    expect(Date.now() - started).toBeLessThan(10_000); // ends, rather than hanging: the bound itself is asserted above
  });

  it('a negative frame size is an error, not a crash', async () => {
    const frame = () => Buffer.from([0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 1]);
    const address = await fakeBroker(answering(frame));
    const err = await alterTopicConfigs({ bootstrapServers: address }, new Map([['t', { 'retention.ms': '1' }]]), TIMEOUT_MS).catch(
      (e: Error) => e,
    );
    // The client throws inside its socket handler; in its worker thread that ends this call only.
    expect((err as Error).message).toMatch(new RegExp(`^altering topic configs via ${address}: the response could not be read`));
  });

  it('a huge frame size is an error within the deadline, not a buffer growing without bound', async () => {
    const frame = (id: number) => {
      const b = Buffer.alloc(8 + 64);
      b.writeInt32BE(0x7ffffff0, 0);
      b.writeInt32BE(id, 4);
      return b;
    };
    const address = await fakeBroker(answering(frame));
    const err = await describeTopicConfigs({ bootstrapServers: address }, ['t'], TIMEOUT_MS).catch((e: Error) => e);
    expect((err as Error).message).toMatch(new RegExp(`^describing topic configs via ${address}: .*(timed out|no answer within)`));
  });

  it('a truncated response body is an error, not a crash', async () => {
    const frame = (id: number) => {
      const b = Buffer.alloc(4 + 4 + 3);
      b.writeInt32BE(7, 0);
      b.writeInt32BE(id, 4);
      return b;
    };
    const address = await fakeBroker(answering(frame));
    const err = await describeTopicConfigs({ bootstrapServers: address }, ['t'], TIMEOUT_MS).catch((e: Error) => e);
    expect((err as Error).message).toMatch(new RegExp(`^describing topic configs via ${address}: .*Out of bounds`));
  });

  it('tries every bootstrap server: after a refused first address it asks the second', async () => {
    let asked = 0;
    const silent = await fakeBroker((s) => s.on('data', () => asked++));
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const refused = `127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise((r) => closed.close(r)); // nothing listens there now: connection refused
    const err = await describeTopicConfigs({ bootstrapServers: `${refused},${silent}` }, ['t'], TIMEOUT_MS).catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      new RegExp(`^describing topic configs via ${refused},${silent}: .*(timed out|no answer within)`),
    );
    expect(asked).toBeGreaterThan(0);
  });
});
