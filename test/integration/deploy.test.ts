// `weir deploy` against the real broker, registry and Postgres: dry run, apply, idempotent rerun,
// a config change, and the refusals (fewer partitions; more partitions on a keyed topic).
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { describeTopicConfigs } from '../../src/kafka/topic-configs.ts';
import { projectOnly } from '../helpers/pipeline.ts';
import { kafkaConnection, services } from '../helpers/services.ts';

const WEIR = fileURLToPath(new URL('../../bin/weir.js', import.meta.url));

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  Object.assign(process.env, services());
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

// The topology owns its input's contract (`registerSchema: true`): a topic it only sinks would
// otherwise be left to its producer, and deploy would register nothing.
const topology = (partitions: number, retention: string) => (id: string) => `pipeline: d${id}
topics:
  in.${id}: { partitions: ${partitions}, retention: ${retention}, value: schemas/Event.avsc, registerSchema: true }
steps:
  store-${id}:
    input: in.${id}
    sink:
      postgres:
        table: d_${id}
        key: [id]
        columns: { id: id, seq: seq, at: $timestamp }
    retry: { delays: [1s] }
`;

describe('weir deploy', { timeout: 120_000 }, () => {
  it('dry run changes nothing; apply creates everything; a rerun is up to date; a config change is applied', async () => {
    const p = projectOnly(topology(3, '1d'));
    const dry = await cli('deploy', '--json', p.file); // without --execute: a dry run
    expect(dry.code).toBe(0);
    const diff = JSON.parse(dry.out);
    expect(diff).toMatchObject({ dryRun: true, applied: false });
    expect(diff.changes.map((c: { kind: string; target: string }) => `${c.kind} ${c.target}`)).toEqual(
      expect.arrayContaining([
        `create-topic in.${p.id}`,
        `create-topic in.${p.id}.store-${p.id}.retry.1s`,
        `create-topic in.${p.id}.store-${p.id}.dlq`,
        `register-schema in.${p.id}-value`,
        `set-compatibility in.${p.id}-value`,
        `create-table d_${p.id}`,
      ]),
    );
    const admin = KafkaAdmin.create(kafkaConnection());
    expect((await admin.partitionCounts([`in.${p.id}`])).size).toBe(0); // the dry run created nothing
    expect((await cli('deploy', '--dry-run', p.file)).out).toMatch(/changes \(dry run: nothing changed\); add --execute to apply$/);
    expect((await admin.partitionCounts([`in.${p.id}`])).size).toBe(0); // nor did the explicit --dry-run

    const applied = await cli('deploy', '--execute', p.file);
    expect(applied.code).toBe(0);
    expect(applied.out).toMatch(/applied \d+ changes/);
    expect(applied.out).toContain(`CREATE TABLE IF NOT EXISTS "d_${p.id}"`);
    expect(
      (await admin.partitionCounts([`in.${p.id}`, `in.${p.id}.store-${p.id}.retry.1s`])).get(`in.${p.id}.store-${p.id}.retry.1s`),
    ).toBe(3);
    expect(await cli('deploy', '--execute', p.file)).toMatchObject({ code: 0, out: 'up to date: nothing to change' });

    p.write(topology(3, '2d')(p.id));
    const changed = await cli('deploy', '--execute', p.file);
    expect(changed.out).toContain(`~ config in.${p.id}: retention.ms: 86400000 → 172800000`);
    expect((await describeTopicConfigs(kafkaConnection(), [`in.${p.id}`])).get(`in.${p.id}`)!.get('retention.ms')!.value).toBe('172800000');
    expect(await cli('deploy', '--execute', p.file)).toMatchObject({ code: 0, out: 'up to date: nothing to change' });
    admin.disconnect();
  });

  it('refuses fewer partitions, and more partitions on a keyed topic unless --allow-repartition', async () => {
    const p = projectOnly(topology(3, '1d'));
    expect((await cli('deploy', '--execute', p.file)).code).toBe(0);
    p.write(topology(2, '1d')(p.id));
    const fewer = await cli('deploy', '--execute', p.file);
    expect(fewer.code).toBe(1);
    expect(fewer.out).toContain(`! refused in.${p.id}: has 3 partitions, the plan says 2: Kafka cannot remove partitions`);
    p.write(topology(6, '1d')(p.id));
    const more = await cli('deploy', '--execute', p.file);
    expect(more.code).toBe(1);
    expect(more.out).toMatch(/would grow from 3 to 6 partitions: records of a key already in flight would land on another partition/);
    expect(more.out).toContain('nothing was applied');
    const allowed = await cli('deploy', '--allow-repartition', '--execute', p.file);
    expect(allowed.code).toBe(0);
    expect(allowed.out).toContain(`+ partitions in.${p.id}: 3 → 6`);
    expect(allowed.out).toContain(`+ partitions in.${p.id}.store-${p.id}.retry.1s: 3 → 6`); // tiers follow their input
  });
});

describe('weir deploy against a broker that never answers', { timeout: 120_000 }, () => {
  it('exits 1 within its admin timeout, naming the address', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => sockets.add(s.on('error', () => undefined)));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    const p = await projectOnly(topology(2, '2d'));
    const started = Date.now();
    const child = spawn(process.execPath, [WEIR, 'deploy', '--execute', p.file], {
      env: { ...process.env, ...services(), KAFKA_BOOTSTRAP_SERVERS: address },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    sockets.forEach((s) => s.destroy());
    silent.close();
    expect(code).toBe(1);
    expect(output).toContain(`no answer from ${address} (KAFKA_BOOTSTRAP_SERVERS) within 15000 ms`);
    expect(sockets.size).toBeGreaterThan(0); // it did connect: the broker accepted and stayed silent
    console.log(`deploy against a silent broker ended after ${Date.now() - started} ms`);
  });
});
