// The schema registry unreachable while a step runs: the real HTTP client (RegistryClient, with a
// deadline as `weir run` gives it) against an in-process registry behind a TCP proxy that refuses
// connections or accepts them and never answers. A record whose writer schema id the step has not
// seen yet must wait — the batch rewound and redone, the partition reported stalled, one log line
// naming the registry — and flow once the registry is back: never dead-lettered, never retried
// through a tier — also when the failing batch follows one still committing (whose commit the stall
// watch must then still learn of). A schema id the registry says it does not have (404, error
// 40403) is poison; a 404 without that code (a gateway's) is an outage.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { avroType } from '../../../src/schema/avro.ts';
import { RegistryUnavailableError } from '../../../src/schema/errors.ts';
import { RegistryClient } from '../../../src/schema/registry.ts';
import { AvroSerde, frame } from '../../../src/schema/serde.ts';
import { MemoryRegistry } from '../../../src/testing/memory/registry.ts';
import { TcpProxy, type Cut } from '../../helpers/tcp-proxy.ts';
import { EVENT_SCHEMA, FakeSink, flush, OUT, range, setup, type Harness } from './fixtures.ts';

const CCOMPAT = '/apis/ccompat/v7';
/** A compatible second version of the input's schema: one more field, with a default. */
const V2 = JSON.stringify({
  ...JSON.parse(EVENT_SCHEMA),
  fields: [...(JSON.parse(EVENT_SCHEMA) as { fields: object[] }).fields, { name: 'note', type: 'string', default: '' }],
});

/** The Confluent REST calls a worker makes, answered from a MemoryRegistry; `bare404` ids get a 404 without a registry error code (a gateway's). */
async function registryServer(registry: MemoryRegistry, bare404 = new Set<number>()) {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = new URL(req.url!, 'http://x').pathname.slice(CCOMPAT.length);
      requests.push(`${req.method} ${path}`);
      const send = (status: number, value?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        res.end(value === undefined ? '' : JSON.stringify(value));
      };
      const notFound = (what: string) => send(404, { error_code: 40403, message: `${what} not found.` });
      void (async () => {
        let m: RegExpExecArray | null;
        if (req.method === 'GET' && path === '/subjects') return send(200, []);
        if (req.method === 'GET' && (m = /^\/schemas\/ids\/(\d+)$/.exec(path))) {
          const id = Number(m[1]);
          if (bare404.has(id)) return send(404);
          const schema = await registry.schemaById(id);
          return schema === undefined ? notFound(`Schema ${id}`) : send(200, { schema });
        }
        if (req.method === 'POST' && (m = /^\/subjects\/([^/]+)$/.exec(path))) {
          const found = await registry.lookup(decodeURIComponent(m[1]!), (JSON.parse(body) as { schema: string }).schema);
          return found ? send(200, found) : notFound('Schema');
        }
        send(404);
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${CCOMPAT}`;
  return { url, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

/** Input schema ids 1 (Event) and 2 (V2), both registered; the worker reads through the proxy with weir run's kind of deadline. */
async function world(opts: { avroOutput?: boolean; bare404?: Set<number> } = {}) {
  const registry = new MemoryRegistry();
  const v1 = registry.register('in-value', EVENT_SCHEMA);
  const v2 = registry.register('in-value', V2);
  if (opts.avroOutput) registry.register('out-value', EVENT_SCHEMA);
  const server = await registryServer(registry, opts.bare404);
  const proxy = await TcpProxy.forUrl(server.url);
  cleanup.push(() => proxy.close(), server.close);
  // Credentials in the URL, as operators give them: they must not reach a log line.
  const url = proxy.url(server.url).replace('http://', 'http://weir:s3cret-pw@');
  const client = new RegistryClient(url, { timeoutMs: 1_000, deadlineMs: 1_500, attempts: 2, setting: 'SCHEMA_REGISTRY_URL' });
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const encode = (id: number, text: string) => (n: number) => frame(id, avroType(JSON.parse(text)).toBuffer({ n, note: 'v2' }));
  return {
    registry,
    server,
    proxy,
    lines,
    serde: new AvroSerde(client),
    logger: pino({ level: 'info' }, sink),
    v1: encode(v1, EVENT_SCHEMA),
    v2: encode(v2, V2),
    ids: { v1, v2 },
  };
}

/** Moves the virtual clock on and lets the loop go round once more, so that it reports lag (and stalls). */
async function lagRound(h: Harness, ms: number): Promise<void> {
  h.clock.fireUntil(h.clock.now() + ms);
  const mark = h.mark();
  await h.until(() => h.since(mark).includes('collecting→processing'), 'a collect after the clock moved');
  await flush();
}

const rewinds = (h: Harness) => h.transitions.filter((t) => t === 'processing→rewinding').length;
const dlq = (h: Harness) => h.cluster.records(h.step.retry.dlq);
const tiers = (h: Harness) => h.step.retry.tiers.flatMap((t) => h.cluster.records(t.topic));

describe('schema registry unreachable while a step runs', () => {
  it.each<Cut>(['refuse', 'blackhole'])(
    'a new writer schema id while the registry is cut off (%s): the batch waits, the partition stalls, nothing is dead-lettered; it flows after healing',
    async (cut) => {
      const w = await world();
      const h = await setup({ avro: true, records: 10, serde: w.serde, logger: w.logger });
      h.input([0, 1, 2], undefined, w.v1);
      await h.idle();
      expect(h.outputs()).toEqual([0, 1, 2]);

      await w.proxy.cut(cut);
      // Version 2 was registered before the cut; the worker has never seen its id.
      h.input([3, 4, 5], undefined, w.v2);
      await h.until(() => rewinds(h) >= 2, 'two redos of the batch while the registry is away');
      expect(dlq(h)).toEqual([]);
      expect(tiers(h)).toEqual([]);
      expect(h.outputs()).toEqual([0, 1, 2]);
      expect(h.committed()).toBe(3);
      expect(h.loop.state).not.toBe('stopped');

      // The stall machinery reports it, with the registry's failure as the last error.
      // (Lag is looked at every 15 s of the virtual clock: once to see the partition, once the stall time later.)
      await lagRound(h, 16_000);
      await lagRound(h, Math.max(60_000, 2 * h.step.transactionTimeoutMs));
      const stalled = h.worker.status().stalled;
      expect(stalled).toMatchObject([{ partition: 0, offset: 3, lag: 3 }]);
      expect(stalled[0]!.lastError).toMatch(/schema registry unreachable/);

      const warned = w.lines.filter((l) => l.msg === 'schema registry unreachable; retrying the batch');
      expect(warned.length).toBeGreaterThanOrEqual(2);
      expect(String(warned[0]!.reason)).toContain(`GET http://127.0.0.1:`);
      expect(String(warned[0]!.reason)).toContain('(SCHEMA_REGISTRY_URL)');
      expect(String(warned[0]!.reason)).toMatch(cut === 'refuse' ? /fetch failed \(connect ECONNREFUSED/ : /timeout/);
      expect(JSON.stringify(w.lines)).not.toContain('s3cret-pw');
      expect(w.lines.some((l) => l.msg === 'partition stalled: it has records to process and its committed offset has not moved')).toBe(
        true,
      );

      await w.proxy.heal();
      await h.idle();
      expect(h.outputs()).toEqual(range(6));
      expect(dlq(h)).toEqual([]);
      expect(tiers(h)).toEqual([]);
      expect(h.committed()).toBe(6);
      expect(w.server.requests).toContain(`GET /schemas/ids/${w.ids.v2}`);
    },
  );

  it('the batch right after one still committing fails: that commit is recorded, so the partition still shows as stalled', async () => {
    const bare404 = new Set<number>();
    const w = await world({ bare404 });
    const h = await setup({ avro: true, records: 3, serde: w.serde, logger: w.logger });
    bare404.add(w.ids.v2); // a gateway in front of the registry has lost the way to it
    h.input([0, 1, 2], undefined, w.v1);
    h.input([3, 4, 5], undefined, w.v2);
    h.commits.hold();
    await h.until(() => h.transitions.at(-1) === 'processing→rewinding', 'the second batch failing while the first commits');
    expect(h.committed()).toBeUndefined();
    h.commits.release();
    await h.until(() => rewinds(h) >= 2, 'a second redo');
    expect(h.committed()).toBe(3);
    await lagRound(h, 16_000);
    await lagRound(h, Math.max(60_000, 2 * h.step.transactionTimeoutMs));
    expect(h.worker.status().stalled).toMatchObject([{ partition: 0, offset: 3, lag: 3 }]);
    bare404.clear();
    await h.idle();
    expect(h.outputs()).toEqual(range(6));
    expect(dlq(h)).toEqual([]);
  });

  it('a Postgres sink step waits the same way: no rows, no DLQ while the registry is away; the rows after', async () => {
    const w = await world();
    const sink = new FakeSink();
    const h = await setup({ avro: true, sink: true, fakeSink: sink, records: 10, serde: w.serde, logger: w.logger });
    await w.proxy.cut('refuse');
    h.input([0, 1, 2], undefined, w.v2);
    await h.until(() => rewinds(h) >= 2, 'two redos');
    expect(sink.rows).toEqual([]);
    expect(dlq(h)).toEqual([]);
    await w.proxy.heal();
    await h.idle();
    expect(sink.rows).toHaveLength(3);
    expect(sink.offsets.get('in/0')).toBe(3);
    expect(dlq(h)).toEqual([]);
  });

  it('a schema id the registry does not have (404, error 40403) is poison: that record goes to the DLQ, the others on', async () => {
    const w = await world();
    const h = await setup({ avro: true, records: 10, serde: w.serde, logger: w.logger });
    h.input([0], undefined, w.v1);
    h.input([1], undefined, (n) => frame(77, avroType(JSON.parse(EVENT_SCHEMA)).toBuffer({ n })));
    h.input([2], undefined, w.v1);
    await h.idle();
    expect(h.outputs()).toEqual([0, 2]);
    const dead = dlq(h);
    expect(dead).toHaveLength(1);
    const header = (k: string) => dead[0]!.headers.find((x) => x.key === k)?.value.toString();
    expect(header('weir.error.class')).toBe('DeserializationError');
    expect(header('weir.error.message')).toMatch(/schema id 77 is not in the registry/);
    expect(rewinds(h)).toBe(0);
  });

  it('a 404 that is not the registry speaking (no error code: a gateway) waits like an outage, it does not dead-letter', async () => {
    const bare404 = new Set<number>();
    const w = await world({ bare404 });
    const h = await setup({ avro: true, records: 10, serde: w.serde, logger: w.logger });
    bare404.add(w.ids.v2);
    h.input([0, 1], undefined, w.v2);
    await h.until(() => rewinds(h) >= 2, 'two redos');
    expect(dlq(h)).toEqual([]);
    bare404.clear();
    await h.idle();
    expect(h.outputs()).toEqual([0, 1]);
    expect(dlq(h)).toEqual([]);
  });

  it('encoding needs no registry while running: output ids are looked up when the worker is made', async () => {
    const w = await world({ avroOutput: true });
    const h = await setup({ avro: true, avroOutput: true, records: 10, serde: w.serde, logger: w.logger });
    h.input([0], undefined, w.v1);
    await h.idle();
    await w.proxy.cut('refuse');
    const asked = w.server.requests.length;
    h.input([1, 2], undefined, w.v1);
    await h.idle();
    const out = avroType(JSON.parse(EVENT_SCHEMA));
    expect(h.cluster.records(OUT).map((r) => (out.fromBuffer(r.value!.subarray(5)) as { n: number }).n)).toEqual([0, 1, 2]);
    expect(w.server.requests.length).toBe(asked);
    expect(rewinds(h)).toBe(0);
  });

  it('…so a worker made while the registry is away fails to start (weir run exits non-zero), naming the setting', async () => {
    const w = await world({ avroOutput: true });
    await w.proxy.cut('refuse');
    const made = setup({ avro: true, avroOutput: true, serde: w.serde, logger: w.logger });
    await expect(made).rejects.toBeInstanceOf(RegistryUnavailableError);
    await expect(made).rejects.toThrow(/SCHEMA_REGISTRY_URL/);
  });
});
