// `threads: N`: `weir run` starts N processes for the step, each a member of the step's group with
// its own transactional id; the outputs stay exactly-once, /metrics sums the threads, /readyz waits
// for all of them, SIGTERM stops them all (exit 0), and a thread that dies stops `weir run` (exit 1).
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CLEAN, decodeEvents, eventRecords, makeEvents, verifyOutput } from '../helpers/events.ts';
import { produceAll, readAll, waitForGroupCaughtUp } from '../helpers/kafka.ts';
import { createPipeline, transformTopology } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';
import { WorkerPool, type WorkerProcess } from '../helpers/workers.ts';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const threadPids = (w: WorkerProcess) => w.logs.filter((l) => l.msg === 'thread started').map((l) => Number(l.pid));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a step with threads: 2', () => {
  it('runs two group members with their own transactional ids; output exactly once; metrics summed; SIGTERM stops all', async () => {
    const p = await createPipeline(transformTopology({ partitions: 6, extra: '    threads: 2\n' }));
    const port = await freePort();
    const pool = new WorkerPool(p, { args: ['--metrics-port', String(port)] });
    const w = pool.start('a');
    await waitFor(() => w.logs.filter((l) => l.msg === 'assigned').length >= 2, { timeoutMs: 60_000, what: 'both threads assigned' });
    const txIds = w.logs.filter((l) => l.msg === 'started').map((l) => String(l.transactionalId));
    expect(txIds).toHaveLength(2);
    expect(txIds.map((id) => id.slice(-2)).sort()).toEqual(['-0', '-1']);

    const events = makeEvents(3_000, 40);
    await produceAll(await eventRecords(p.topic('in'), events));
    await waitForGroupCaughtUp(p.plan.steps[0]!.group, p.topic('in'));
    expect(verifyOutput(await decodeEvents(await readAll(p.topic('out'))), events)).toEqual(CLEAN);

    // Both threads report in, and the supervisor's /metrics is their sum.
    const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const inputs = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith('weir_records_in_total{') && l.includes('source="input"'))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    await waitFor(async () => inputs(await metrics()) === 3_000, { timeoutMs: 10_000, what: '/metrics to count 3000 inputs' });
    const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { ready: boolean; workers: unknown[] };
    expect(ready).toMatchObject({ ready: true });
    expect(ready.workers).toHaveLength(2);

    const pids = threadPids(w);
    expect(pids).toHaveLength(2);
    expect(await pool.stopAll()).toEqual([0]);
    expect(pids.filter(alive)).toEqual([]);
  });

  it('a thread killed with SIGKILL stops weir run with exit 1, naming the thread; the other thread stops too', async () => {
    const p = await createPipeline(transformTopology({ partitions: 4, extra: '    threads: 2\n' }));
    const pool = new WorkerPool(p);
    const w = pool.start('a');
    await waitFor(() => w.logs.filter((l) => l.msg === 'assigned').length >= 2, { timeoutMs: 60_000, what: 'both threads assigned' });
    const [first, second] = threadPids(w) as [number, number];
    process.kill(second, 'SIGKILL');
    expect(await w.exited).toBe(1);
    const stderr = w.logs.map((l) => l.stderr ?? '').join('');
    expect(stderr).toContain(`weir run: thread 1 of step step-${p.id} ended (signal SIGKILL)`);
    await waitFor(() => !alive(first), { timeoutMs: 30_000, what: 'the other thread to stop' });
  });
});
