// DLQ triage and redrive on the real stack: stats group by error; a redrive after the cause is
// fixed brings every record to the output exactly once, even when the redrive itself is SIGKILLed
// and rerun; purge marks records done; everything is audited.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { CLEAN, decodeEvents, eventRecords, makeEvents, verifyOutput } from '../helpers/events.ts';
import { produceAll, readAll, waitForGroupCaughtUp } from '../helpers/kafka.ts';
import { createPipeline, transformTopology } from '../helpers/pipeline.ts';
import { services } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';
import { WorkerPool } from '../helpers/workers.ts';

const WEIR = fileURLToPath(new URL('../../bin/weir.js', import.meta.url));

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  Object.assign(process.env, services());
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('weir dlq', { timeout: 300_000 }, () => {
  it('stats, then a redrive interrupted by SIGKILL and rerun: each record reaches the output once', async () => {
    const p = await createPipeline(transformTopology({ partitions: 3, transform: 'flaky', retry: '{ delays: [500ms] }' }));
    const step = p.plan.steps[0]!;
    const events = makeEvents(300, 30);
    const broken = events.filter((_, i) => i % 10 === 3).map((e) => e.id); // 30 records
    const pool = new WorkerPool(p, { env: { PERMANENT_IDS: broken.join(',') } });
    pool.start('a');
    await produceAll(await eventRecords(p.topic('in'), events));
    await waitFor(async () => (await readAll(step.retry.dlq)).length >= broken.length, { timeoutMs: 60_000, what: 'the DLQ to fill' });

    const stats = JSON.parse((await cli('dlq', 'stats', p.file, '--step', step.name, '--json')).out);
    expect(stats).toMatchObject({
      depth: 30,
      handled: 0,
      byError: [{ errorClass: 'NonRetryableError', message: 'event # can never be processed', count: 30 }],
    });
    const shown = JSON.parse((await cli('dlq', 'show', p.file, '--step', step.name, '--key', 'k3', '--json')).out);
    expect(shown.records.every((r: { key: string; value: { key: string } }) => r.key === 'k3' && r.value.key === 'k3')).toBe(true);
    expect(shown.total).toBe(10);

    // The cause is fixed (the worker restarts without the bug); a dry run changes nothing.
    await pool.kill('a', 'SIGTERM');
    pool.start('a', { PERMANENT_IDS: '' });
    const dry = await cli('dlq', 'redrive', p.file, '--step', step.name);
    expect(dry.out).toContain('dry run: would redrive 30 of 30 matching records');

    // The redrive is killed part way (batches of 3 at 5/s, killed once some are committed), then rerun.
    const first = spawn(
      process.execPath,
      [WEIR, 'dlq', 'redrive', p.file, '--step', step.name, '--batch', '3', '--rate', '3', '--execute'],
      { env: { ...process.env, ...services() }, stdio: 'ignore' },
    );
    const exited = new Promise((r) => first.on('exit', r));
    await waitFor(async () => (await readAll(step.retry.dlqHandled)).length >= 6, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: 'the first redrive batches',
    });
    first.kill('SIGKILL');
    await exited;
    const midway = JSON.parse((await cli('dlq', 'stats', p.file, '--step', step.name, '--json')).out);
    console.log(`after SIGKILL: ${midway.handled} redriven, ${midway.depth} left`);
    expect(midway.handled).toBeGreaterThan(0);
    expect(midway.depth).toBeGreaterThan(0);
    const rerun = await cli('dlq', 'redrive', p.file, '--step', step.name, '--execute', '--json');
    expect(JSON.parse(rerun.out)).toMatchObject({ done: midway.depth, selected: midway.depth });

    await waitFor(async () => (await readAll(p.topic('out'))).length >= events.length, {
      timeoutMs: 60_000,
      what: 'redriven records in the output',
    });
    await waitForGroupCaughtUp(step.group, p.topic('in'));
    expect(verifyOutput(await decodeEvents(await readAll(p.topic('out'))), events).missing).toEqual([]);
    expect(verifyOutput(await decodeEvents(await readAll(p.topic('out'))), events).duplicates).toEqual([]);
    expect(JSON.parse((await cli('dlq', 'stats', p.file, '--step', step.name, '--json')).out)).toMatchObject({ depth: 0, handled: 30 });
    const audit = (await readAll('weir.audit')).map((r) => JSON.parse(r.value!.toString())).filter((a) => a.step === step.name);
    expect(audit.some((a) => a.action === 'dlq-redrive' && a.by && a.host && a.details.records > 0)).toBe(true);
    expect(await pool.stopAll()).toEqual([0]);
  });

  it('two concurrent redrives: the later claim fences the earlier run, which stops naming it, and each record arrives once', async () => {
    const p = await createPipeline(transformTopology({ partitions: 3, transform: 'flaky', retry: '{ delays: [500ms] }' }));
    const step = p.plan.steps[0]!;
    const events = makeEvents(300, 30);
    const broken = events.filter((_, i) => i % 5 === 3).map((e) => e.id); // 60 records
    const pool = new WorkerPool(p, { env: { PERMANENT_IDS: broken.join(',') } });
    pool.start('a');
    await produceAll(await eventRecords(p.topic('in'), events));
    await waitFor(async () => (await readAll(step.retry.dlq)).length >= broken.length, { timeoutMs: 60_000, what: 'the DLQ to fill' });
    await pool.kill('a', 'SIGTERM');
    pool.start('a', { PERMANENT_IDS: '' });

    // The first run commits a record every 333 ms (20 s for all 60: ample time for the second to
    // start on a loaded machine); the second starts once the first reports some done (its progress
    // line), so it claims and reads the ledger while the first is still writing.
    const run = () => {
      const child = spawn(
        process.execPath,
        [WEIR, 'dlq', 'redrive', p.file, '--step', step.name, '--batch', '1', '--rate', '3', '--execute'],
        { env: { ...process.env, ...services() }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const state = { stderr: '' };
      child.stderr!.on('data', (d: Buffer) => (state.stderr += d.toString()));
      const outcome = new Promise<{ code: number | null; stderr: string }>((resolve) =>
        child.on('exit', (code) => resolve({ code, stderr: state.stderr })),
      );
      return { state, outcome };
    };
    const first = run();
    await waitFor(async () => Number(/ (\d+)\/60 /.exec(first.state.stderr.split('\n').at(-2) ?? '')?.[1] ?? 0) >= 3, {
      timeoutMs: 60_000,
      intervalMs: 50,
      what: 'the first redrive to commit some records',
    });
    const second = run();
    const outcomes = await Promise.all([first.outcome, second.outcome]);
    console.log(`concurrent redrives: ${JSON.stringify(outcomes)}`);
    const stopped = outcomes.filter((o) => o.code !== 0);
    expect(stopped).toHaveLength(1);
    expect(stopped[0]!.stderr).toMatch(/stopped: step \S+ was claimed by dlq-redrive by \S+@\S+ \(pid \d+/);
    expect(outcomes[1]!.code).toBe(0); // the later claim wins

    await waitFor(async () => (await readAll(p.topic('out'))).length >= events.length, {
      timeoutMs: 60_000,
      what: 'redriven records in the output',
    });
    await waitForGroupCaughtUp(step.group, p.topic('in'));
    const out = verifyOutput(await decodeEvents(await readAll(p.topic('out'))), events);
    expect(out.missing).toEqual([]);
    expect(out.duplicates).toEqual([]);
    expect(JSON.parse((await cli('dlq', 'stats', p.file, '--step', step.name, '--json')).out)).toMatchObject({ depth: 0, handled: 60 });
    const claims = (await readAll('weir.audit'))
      .map((r) => JSON.parse(r.value!.toString()))
      .filter((a) => a.action === 'claim' && a.details.group === step.group);
    expect(claims).toHaveLength(2);
    expect(await pool.stopAll()).toEqual([0]);
  });

  it('purge needs --execute and confirmation, then the records no longer count', async () => {
    const p = await createPipeline(transformTopology({ partitions: 1, transform: 'flaky', retry: '{ delays: [500ms] }' }));
    const step = p.plan.steps[0]!;
    const events = makeEvents(20, 2);
    const pool = new WorkerPool(p, { env: { PERMANENT_IDS: 'e1,e2,e3' } });
    pool.start('a');
    await produceAll(await eventRecords(p.topic('in'), events));
    await waitFor(async () => (await readAll(step.retry.dlq)).length >= 3, { timeoutMs: 60_000, what: 'the DLQ to fill' });
    expect((await cli('dlq', 'purge', p.file, '--step', step.name, '--key', 'k1')).out).toContain('dry run: would purge 2 records');
    const unconfirmed = await cli('dlq', 'purge', p.file, '--step', step.name, '--key', 'k1', '--execute');
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.err).toContain('not confirmed');
    expect((await cli('dlq', 'purge', p.file, '--step', step.name, '--key', 'k1', '--execute', '--yes')).out).toContain('purged 2 records');
    expect(JSON.parse((await cli('dlq', 'stats', p.file, '--step', step.name, '--json')).out)).toMatchObject({ depth: 1, handled: 2 });
    await pool.stopAll();
    expect(
      verifyOutput(
        await decodeEvents(await readAll(p.topic('out'))),
        events.filter((e) => !['e1', 'e2', 'e3'].includes(e.id)),
      ),
    ).toEqual(CLEAN);
  });
});

describe('redrive loop guard', { timeout: 300_000 }, () => {
  it('a record that fails again returns to the DLQ with its history, and is held back after --max-redrives', async () => {
    const p = await createPipeline(transformTopology({ partitions: 1, transform: 'flaky', retry: '{ delays: [200ms] }' }));
    const step = p.plan.steps[0]!;
    const pool = new WorkerPool(p, { env: { PERMANENT_IDS: 'e0' } }); // still broken
    pool.start('a');
    await produceAll(await eventRecords(p.topic('in'), makeEvents(5, 1)));
    const firstEntry = await waitFor(async () => (await readAll(step.retry.dlq))[0], { timeoutMs: 60_000, what: 'the DLQ record' });
    const firstFailure = firstEntry.headers.find((h) => h.key === 'weir.failure.first')!.value.toString();
    expect(
      JSON.parse((await cli('dlq', 'redrive', p.file, '--step', step.name, '--max-redrives', '1', '--execute', '--json')).out),
    ).toMatchObject({ done: 1, skipped: 0 });
    const again = await waitFor(async () => (await readAll(step.retry.dlq))[1], { timeoutMs: 60_000, what: 'the record back in the DLQ' });
    const h = Object.fromEntries(again.headers.map((x) => [x.key, x.value.toString()]));
    expect(h).toMatchObject({ 'weir.redrive.count': '1', 'weir.failure.first': firstFailure, 'weir.origin.offset': '0' });
    expect(again.value).toEqual(firstEntry.value);
    expect(
      JSON.parse((await cli('dlq', 'redrive', p.file, '--step', step.name, '--max-redrives', '1', '--execute', '--json')).out),
    ).toMatchObject({ done: 0, skipped: 1 });
    await pool.stopAll();
  });

  it('empty is not null through a redrive: a zero-length key and value come back zero-length, a tombstone null', async () => {
    const p = await createPipeline(transformTopology({ partitions: 1 }));
    const step = p.plan.steps[0]!;
    const pool = new WorkerPool(p);
    pool.start('a');
    await produceAll([
      { topic: p.topic('in'), key: Buffer.alloc(0), value: Buffer.alloc(0) },
      { topic: p.topic('in'), key: null, value: null },
    ]);
    await waitFor(async () => (await readAll(step.retry.dlq))[1], { timeoutMs: 60_000, what: 'both records in the DLQ' });
    expect(JSON.parse((await cli('dlq', 'redrive', p.file, '--step', step.name, '--execute', '--json')).out)).toMatchObject({ done: 2 });
    // Both fail again (the step cannot decode them) and come back, as redriven copies.
    const redriven = await waitFor(
      async () => {
        const copies = (await readAll(step.retry.dlq)).filter((r) => r.headers.some((h) => h.key === 'weir.redrive.count'));
        return copies.length >= 2 ? copies : undefined;
      },
      { timeoutMs: 60_000, what: 'the redriven records back in the DLQ' },
    );
    const shape = (b: Buffer | null) => (b === null ? 'null' : `${b.length} bytes`);
    expect(redriven.map((r) => `${shape(r.key)}/${shape(r.value)}`).sort()).toEqual(['0 bytes/0 bytes', 'null/null']);
    await pool.stopAll();
  });
});
