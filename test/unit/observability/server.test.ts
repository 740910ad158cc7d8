// The health and metrics endpoints listen where they are told: every interface by default, one
// address with --metrics-host; an address this machine does not have is an error, not a silent bind.
import { afterEach, describe, expect, it } from 'vitest';
import { serveEndpoints, type Endpoints } from '../../../src/observability/server.ts';

let open: Endpoints | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

describe('serveEndpoints', () => {
  it('listens on every interface by default', async () => {
    open = await serveEndpoints(0, () => []);
    expect(open.host).toBe('0.0.0.0');
  });

  it('listens on the given address only, and answers there', async () => {
    open = await serveEndpoints(0, () => [], '127.0.0.1');
    expect(open.host).toBe('127.0.0.1');
    const base = `http://127.0.0.1:${open.port}`;
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok\n');
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503); // no workers yet
  });

  it('rejects an address that is not one of this machine', async () => {
    await expect(serveEndpoints(0, () => [], '192.0.2.1')).rejects.toThrow(/EADDRNOTAVAIL/);
  });
});

describe('/readyz', () => {
  const worker = { step: 's', joined: true, partitions: 3, sinceLoopMs: 10, stuckAfterMs: 60_000, stalled: [] };

  it('is ready while every worker joined, goes round and has no stalled partition', async () => {
    open = await serveEndpoints(0, () => [worker], '127.0.0.1');
    expect((await fetch(`http://127.0.0.1:${open.port}/readyz`)).status).toBe(200);
  });

  it('fails with the partition and the last error when a partition is stalled, although the loop goes round', async () => {
    const stall = { partition: 2, offset: 41, lag: 7, stalledForMs: 61_000, lastError: 'Broker: Message size too large' };
    open = await serveEndpoints(0, () => [{ ...worker, stalled: [stall] }], '127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${open.port}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { ready: boolean; workers: Array<{ stuck: boolean; stalled: unknown[] }> };
    expect(body.ready).toBe(false);
    expect(body.workers[0]!.stuck).toBe(false);
    expect(body.workers[0]!.stalled).toEqual([stall]);
  });
});
