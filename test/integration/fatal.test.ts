// Failures no retry can mend stop `weir run` with the broker's reason and a non-zero exit, instead
// of being retried forever: an input topic that does not exist (and, on the SCRAM listener, a topic
// the cluster denies — see secured.test.ts).
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { produceAll, readAll } from '../helpers/kafka.ts';
import { createPipeline, projectOnly, sinkTopology } from '../helpers/pipeline.ts';
import { createAcls, deleteAcls, type Acl } from '../helpers/acl.ts';
import { kafkaConnection, scram, scramEnv } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';
import { WorkerPool } from '../helpers/workers.ts';

const jsonCopy = (id: string) => `pipeline: f${id}
topics:
  in.${id}: { partitions: 1, value: json }
  out.${id}: { partitions: 1, value: json }
steps:
  copy-${id}:
    input: in.${id}
    map: "$"
    outputs: [out.${id}]
`;

const stderrOf = (logs: Array<Record<string, unknown>>) => logs.map((l) => l.stderr ?? '').join('');

/** host:port where nothing listens (a port just closed). */
async function closedPort(): Promise<string> {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const address = `127.0.0.1:${(closed.address() as { port: number }).port}`;
  await new Promise<void>((r) => closed.close(() => r()));
  return address;
}

/** The worker's exit code, or a text saying it still ran after `ms`. */
const exitWithin = (w: { exited: Promise<unknown> }, ms: number) =>
  Promise.race([w.exited, new Promise((r) => setTimeout(() => r(`still running after ${ms / 1000} s`), ms))]);

describe('fatal failures stop weir run', () => {
  it('a bootstrap server on a closed port: exit 1 within 30 s, naming the address and the setting', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    const p = projectOnly(jsonCopy);
    const w = new WorkerPool(p, { env: { KAFKA_BOOTSTRAP_SERVERS: address } }).start('a');
    const started = Date.now();
    const code = await Promise.race([w.exited, new Promise((r) => setTimeout(() => r('still running after 30 s'), 30_000))]);
    expect(code).toBe(1);
    expect(stderrOf(w.logs)).toContain(`no answer from ${address} (KAFKA_BOOTSTRAP_SERVERS) within 15000 ms`);
    console.log(`weir run against a closed port ended after ${Date.now() - started} ms`);
  });

  it('WEIR_CONNECT_TIMEOUT bounds the wait: a closed port with 3s ends the start after ~3 s, saying so', async () => {
    const address = await closedPort();
    const w = new WorkerPool(projectOnly(jsonCopy), { env: { KAFKA_BOOTSTRAP_SERVERS: address, WEIR_CONNECT_TIMEOUT: '3s' } }).start('a');
    const started = Date.now();
    expect(await exitWithin(w, 20_000)).toBe(1);
    expect(stderrOf(w.logs)).toContain(`no answer from ${address} (KAFKA_BOOTSTRAP_SERVERS) within 3000 ms`);
    console.log(`weir run with WEIR_CONNECT_TIMEOUT=3s against a closed port ended after ${Date.now() - started} ms`);
  });

  it('a schema registry that accepts connections and never answers: exit 1 within 30 s, naming its URL and the setting', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => sockets.add(s.on('error', () => undefined)));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const w = new WorkerPool(projectOnly(sinkTopology({})), { env: { SCHEMA_REGISTRY_URL: url, WEIR_CONNECT_TIMEOUT: '5s' } }).start('a');
      const started = Date.now();
      expect(await exitWithin(w, 30_000)).toBe(1);
      expect(stderrOf(w.logs)).toMatch(new RegExp(`GET ${url}/subjects \\(SCHEMA_REGISTRY_URL\\): .*(timeout|aborted)`, 'i'));
      expect(sockets.size).toBeGreaterThan(0); // it did connect: the registry accepted and stayed silent
      console.log(`weir run against a silent registry ended after ${Date.now() - started} ms`);
    } finally {
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });

  it('a database on a closed port: exit 1 within 30 s, naming its address and the setting', async () => {
    const port = (await closedPort()).split(':')[1];
    const db = `postgres://postgres@127.0.0.1:${port}/weir`;
    const w = new WorkerPool(projectOnly(sinkTopology({})), { env: { DATABASE_URL: db, WEIR_CONNECT_TIMEOUT: '5s' } }).start('a');
    const started = Date.now();
    expect(await exitWithin(w, 30_000)).toBe(1);
    expect(stderrOf(w.logs)).toContain(`Postgres at 127.0.0.1:${port}/weir (DATABASE_URL) is unreachable`);
    console.log(`weir run against a closed database port ended after ${Date.now() - started} ms`);
  });

  it('a stop that never finishes (as a stuck native close): SIGTERM still ends the process within --grace-period', async () => {
    const p = await createPipeline(jsonCopy);
    const w = new WorkerPool(p, { env: { WEIR_TEST_HANG: 'stop' }, args: ['--grace-period', '3s'] }).start('a');
    await waitFor(() => w.logs.some((l) => l.msg === 'assigned'), { timeoutMs: 60_000, what: 'the worker joined' });
    const signalled = Date.now();
    w.proc.kill('SIGTERM');
    expect(await exitWithin(w, 20_000)).toBeNull(); // killed by its own SIGKILL: no exit code
    expect(w.proc.signalCode).toBe('SIGKILL');
    // Its output may still be arriving after the exit event.
    const said = () => stderrOf(w.logs).includes('weir run: did not stop within the grace period (3s); killing the process');
    await waitFor(said, { timeoutMs: 10_000, what: 'the grace-period line on stderr' });
    console.log(`SIGTERM with a stop that never finishes: the process ended ${Date.now() - signalled} ms later (grace period 3 s)`);
  });

  it('an input topic that does not exist: exit 1 within 30 s, naming the topic and the broker reason', async () => {
    const p = projectOnly(jsonCopy); // never deployed: no topic exists
    const pool = new WorkerPool(p);
    const w = pool.start('a');
    const code = await Promise.race([w.exited, new Promise((r) => setTimeout(() => r('still running after 30 s'), 30_000))]);
    expect(code).toBe(1);
    const stderr = stderrOf(w.logs);
    expect(stderr).toContain(`weir run: step copy-${p.id}: consume: topic in.${p.id} does not exist (Broker: Unknown topic or partition)`);
    expect(
      w.logs.some((l) => l.msg === 'worker stopped: this failure cannot be retried' && l.from === 'collecting' && l.to === 'stopped'),
    ).toBe(true);
  });

  // The broker usually answers the first metadata request ("unknown topic", reported once) before the
  // topic is created: the worker looks again after a moment instead of stopping, or waiting minutes.
  it('an input topic created right after the worker subscribed is picked up, not treated as missing', async () => {
    const p = projectOnly(jsonCopy);
    const admin = KafkaAdmin.create(kafkaConnection());
    try {
      await admin.createTopics([{ name: `out.${p.id}`, partitions: 1 }]);
      const pool = new WorkerPool(p);
      const w = pool.start('a');
      await waitFor(() => w.logs.some((l) => l.msg === 'started'), { what: 'the worker to subscribe' });
      await admin.createTopics([{ name: `in.${p.id}`, partitions: 1 }]);
      await produceAll([{ topic: `in.${p.id}`, key: 'k', value: Buffer.from('{"n":1}') }]);
      await waitFor(async () => (await readAll(`out.${p.id}`)).length === 1, { timeoutMs: 60_000, what: 'the record in the output' });
      expect(w.proc.exitCode).toBeNull();
      expect(await pool.stopAll()).toEqual([0]);
    } finally {
      await admin.deleteTopics([`in.${p.id}`, `out.${p.id}`]).catch(() => undefined);
      admin.disconnect();
    }
  });

  describe('on the SCRAM listener, the cluster refusing the user', () => {
    /** Deploys the topics (as the super user), denies the SCRAM user, runs the step over SCRAM. */
    async function runDenied(deny: (id: string, user: string) => Acl[]): Promise<{ code: unknown; stderr: string }> {
      const p = projectOnly(jsonCopy);
      const acls = deny(p.id, `User:${scram().username}`);
      const admin = KafkaAdmin.create(kafkaConnection());
      try {
        await admin.createTopics([`in.${p.id}`, `out.${p.id}`].map((name) => ({ name, partitions: 1 })));
        await produceAll([{ topic: `in.${p.id}`, key: 'k', value: Buffer.from('{"n":1}') }]);
        await createAcls(acls);
        const w = new WorkerPool(p, { env: scramEnv() }).start('a');
        const code = await Promise.race([w.exited, new Promise((r) => setTimeout(() => r('still running after 30 s'), 30_000))]);
        return { code, stderr: stderrOf(w.logs) };
      } finally {
        await deleteAcls(acls).catch(() => undefined);
        await admin.deleteTopics([`in.${p.id}`, `out.${p.id}`]).catch(() => undefined);
        admin.disconnect();
      }
    }

    it('READ denied on the input topic: exit 1 with the broker reason, naming the topic', async () => {
      const r = await runDenied((id, principal) => [
        { resource: 'topic', name: `in.${id}`, principal, operation: 'read', permission: 'deny' },
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/weir run: step copy-\w+: consume: reading in\.\w+: Broker: Topic authorization failed/);
    });

    it('the transactional id denied: exit 1 with the broker reason', async () => {
      const r = await runDenied((id, principal) => [
        { resource: 'transactionalId', name: `weir.f${id}.`, pattern: 'prefixed', principal, operation: 'write', permission: 'deny' },
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/weir run: step copy-\w+: transaction\.init: .*Transactional Id authorization failed/);
    });

    it('WRITE denied on the output topic: exit 1 at the first commit, naming the topic', async () => {
      const r = await runDenied((id, principal) => [
        { resource: 'topic', name: `out.${id}`, principal, operation: 'write', permission: 'deny' },
        { resource: 'topic', name: `out.${id}`, principal, operation: 'describe', permission: 'allow' },
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/weir run: step copy-\w+: transaction\.commit: .*Topic authorization failed/);
    });
  });
});
