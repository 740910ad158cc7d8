// `weir produce` and `weir consume` on the real stack, spawned the way a user runs them (bin/weir.js,
// input piped in): JSON lines into an Avro topic, through a transform step, and out again; a
// poison pill shown as base64 with its reason; a bad input line stops everything before anything is
// sent; a topic outside the topology with a given format.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { makeEvents, type Event } from '../helpers/events.ts';
import { produceAll, readAll, testTopics } from '../helpers/kafka.ts';
import { createPipeline, transformTopology } from '../helpers/pipeline.ts';
import { services } from '../helpers/services.ts';
import { WorkerPool } from '../helpers/workers.ts';

const WEIR = fileURLToPath(new URL('../../bin/weir.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const newTopic = testTopics();
const running = new Set<ReturnType<typeof spawn>>();
afterEach(() => {
  for (const p of running) p.kill('SIGKILL');
  running.clear();
});

/** Runs `weir …` with `input` on stdin; `whileRunning` runs once it started (e.g. to produce meanwhile). */
function weir(args: string[], input = '', whileRunning?: (exited: () => boolean) => Promise<void>): Promise<Run> {
  const proc = spawn(process.execPath, [WEIR, ...args], {
    env: { ...process.env, ...services(), WEIR_ENV_FILE: '/nonexistent' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(proc);
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdin.on('error', () => undefined); // a command that stops reading early closes its stdin
  proc.stdin.end(input);
  let done = false;
  const exited = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      done = true;
      running.delete(proc);
      resolve(code);
    }),
  );
  return Promise.all([exited, whileRunning?.(() => done)]).then(([code]) => ({ code, stdout, stderr }));
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('weir produce / consume', { timeout: 240_000 }, () => {
  it('1,000 JSON lines into an Avro topic, through a transform, and 1,000 transformed records out', async () => {
    const p = await createPipeline(transformTopology({ partitions: 3 }));
    const events = makeEvents(1_000, 20);
    const input = events.map((e) => JSON.stringify({ key: e.key, value: e, headers: { source: 'backfill' } })).join('\n') + '\n';

    const produced = await weir(['produce', p.topic('in'), '--topology', p.file, '--json'], input);
    expect(produced.stderr).toBe('');
    expect(produced.code).toBe(0);
    const summary = JSON.parse(produced.stdout) as { produced: number; topic: string; partitions: Record<string, number> };
    expect(summary).toMatchObject({ produced: 1_000, topic: p.topic('in') });
    expect(Object.keys(summary.partitions).sort()).toEqual(['0', '1', '2']);
    expect(Object.values(summary.partitions).reduce((a, b) => a + b, 0)).toBe(1_000);
    const input0 = await readAll(p.topic('in'), { partitions: [{ topic: p.topic('in'), partition: 0 }] });
    expect(input0).toHaveLength(summary.partitions['0']!);
    expect(input0[0]!.headers.find((h) => h.key === 'source')?.value.toString()).toBe('backfill');

    // The consumer starts before the step does and waits for its output.
    const pool = new WorkerPool(p);
    const consumed = await weir(
      [
        'consume',
        p.topic('out'),
        '--topology',
        p.file,
        '--from-beginning',
        '--count',
        '1000',
        '--isolation',
        'read_committed',
        '--timeout',
        '90s',
      ],
      '',
      async () => {
        pool.start('a');
      },
    );
    await pool.stopAll();
    expect(consumed.code, consumed.stderr + pool.dump()).toBe(0);
    expect(consumed.stderr).toContain(`consumed 1000 records from ${p.topic('out')}`);
    const lines = jsonLines(consumed.stdout) as Array<{ key: string; value: Event }>;
    expect(lines).toHaveLength(1_000);
    expect(Object.keys(lines[0]!)).toEqual(['key', 'value']);
    expect(new Set(lines.map((l) => l.value.id))).toEqual(new Set(events.map((e) => e.id)));
    expect(lines.every((l) => l.value.payload === '+tagged' && l.key === l.value.key)).toBe(true);
    // Per key in the order produced (one key, one partition, read in order).
    const last = new Map<string, number>();
    for (const l of lines) {
      expect(l.value.seq).toBeGreaterThan(last.get(l.key) ?? 0);
      last.set(l.key, l.value.seq);
    }

    // --json: the record's coordinates and headers too; --partition and --offset pick where to start.
    const meta = await weir(['consume', p.topic('out'), '-t', p.file, '--partition', '1', '--offset', '-10', '--count', '2', '--json']);
    expect(meta.code).toBe(0);
    const tail = jsonLines(meta.stdout);
    expect(tail).toHaveLength(2);
    expect(tail[0]).toMatchObject({ topic: p.topic('out'), partition: 1, key: expect.any(String), value: { payload: '+tagged' } });
    expect(tail[1]!.offset).toBeGreaterThan(tail[0]!.offset as number);
    expect(Object.keys(tail[0]!)).toEqual(['topic', 'partition', 'offset', 'timestamp', 'key', 'value', 'headers']);
    expect((tail[0]!.headers as Record<string, string>)['weir.event.id']).toMatch(new RegExp(`^step-${p.id}:in\\.${p.id}:\\d:\\d+:0$`));
    expect((tail[0]!.headers as Record<string, string>).source).toBe('backfill');
  });

  it('a bad line fails with its number and nothing is produced; a poison pill is shown as base64 with its reason', async () => {
    const p = await createPipeline(transformTopology({ partitions: 1 }));
    const topic = p.topic('in');
    const good = (i: number) => JSON.stringify({ key: `k${i}`, value: { id: `e${i}`, key: `k${i}`, seq: i, payload: '' } });

    const schemaMismatch = await weir(
      ['produce', topic, '-t', p.file],
      [good(1), good(2), '', good(4), '{"key":"k5","value":{"id":"e5","key":"k5","seq":"five"}}', good(6)].join('\n'),
    );
    expect(schemaMismatch.code).toBe(1);
    expect(schemaMismatch.stderr).toContain(
      `weir produce: line 5: value does not match ${topic}-value: \`seq\` expected long, got string "five"`,
    );
    expect(schemaMismatch.stderr).toContain('nothing was produced');
    const notJson = await weir(['produce', topic, '-t', p.file], `${good(1)}\n{"key": "k2", "value": \n`);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/weir produce: line 2: not JSON: /);
    expect(await readAll(topic)).toHaveLength(0);

    // A good record, a poison pill (raw bytes, not through weir), another good record.
    expect((await weir(['produce', topic, '-t', p.file], good(1))).code).toBe(0);
    const garbage = Buffer.from('this is not avro', 'utf8');
    await produceAll([{ topic, key: 'k0', value: garbage }]);
    expect((await weir(['produce', topic, '-t', p.file], good(3))).code).toBe(0);

    const consumed = await weir(['consume', topic, '-t', p.file, '--from-beginning', '--count', '3', '--timeout', '30s']);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(jsonLines(consumed.stdout)).toEqual([
      { key: 'k1', value: { id: 'e1', key: 'k1', seq: 1, payload: '' } },
      { key: 'k0', valueBase64: garbage.toString('base64'), error: 'value: no Confluent magic byte: 16 bytes starting 7468697320' },
      { key: 'k3', value: { id: 'e3', key: 'k3', seq: 3, payload: '' } },
    ]);

    // --count not reached before --timeout: what arrived, and exit 1.
    const short = await weir(['consume', topic, '-t', p.file, '--from-beginning', '--count', '10', '--timeout', '3s']);
    expect(short.code).toBe(1);
    expect(jsonLines(short.stdout)).toHaveLength(3);
    expect(short.stderr).toContain(`weir consume: 3 of 10 records from ${topic}; none arrived for 3s`);
  });

  it('by default only records that arrive after the start; a topic outside the topology with a given format', async () => {
    const topic = await newTopic('plain', 2);
    const missing = await weir(['produce', topic, '--value-format', 'json', '-t', 'nope.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.yaml does not exist');
    const unformatted = await weir(['produce', topic], '{"a":1}\n');
    expect(unformatted.code).toBe(2);

    const old = await weir(['produce', topic, '--value-format', 'json'], '{"key":"a","value":{"n":"old"}}\n');
    expect(old.stdout.trim()).toBe(`produced 1 record to ${topic}`);
    // From the end: produce new records until the consumer has seen two of them.
    const consumed = await weir(['consume', topic, '--count', '2', '--timeout', '60s'], '', async (exited) => {
      for (let i = 0; !exited() && i < 200; i++) {
        await produceAll([{ topic, key: `k${i}`, value: Buffer.from(JSON.stringify({ n: `new-${i}` })), partition: i % 2 }]);
        await new Promise((r) => setTimeout(r, 300));
      }
    });
    expect(consumed.code, consumed.stderr).toBe(0);
    const lines = jsonLines(consumed.stdout) as Array<{ key: string; value: { n: string } }>;
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l.value.n).toMatch(/^new-\d+$/);

    const gone = await weir(['produce', `${topic}-absent`, '--value-format', 'string'], 'x\n');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`topic ${topic}-absent does not exist`);
  });
});
