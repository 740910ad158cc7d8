// The nodes of a KRaft quorum answer only once a majority runs: managedUpTogether starts every
// service before waiting for any (waiting for each in turn would wait forever for the first).
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { managedUpTogether, type ManagedService } from '../../../src/stack/managed.ts';
import { readState } from '../../../src/stack/state.ts';

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe('managedUpTogether', () => {
  it('starts all services, then waits until each answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-together-'));
    const started = new Set<string>();
    const order: string[] = [];
    const node = async (name: string): Promise<ManagedService> => ({
      name,
      endpoint: name,
      port: await freePort(),
      marker: 'node',
      log: join(dir, 'logs', `${name}.log`),
      // Like a quorum member: answers only when two of the three run.
      probe: async () => {
        if (!started.has(name) || started.size < 2) throw new Error('no quorum');
      },
      start: () => {
        order.push(`start ${name}`);
        started.add(name);
        return process.pid;
      },
      readyTimeoutMs: 5_000,
      portHint: '',
    });
    const st = readState(join(dir, 'state.json'));
    const reports = await managedUpTogether([await node('a'), await node('b'), await node('c')], st);
    expect(order).toEqual(['start a', 'start b', 'start c']);
    expect(reports.map((r) => `${r.name} ${r.status}`)).toEqual(['a started', 'b started', 'c started']);
    expect(Object.keys(readState(st.file).state.started)).toEqual(['a', 'b', 'c']);
  });
});
