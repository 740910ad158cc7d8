// A `weir run` process serves Prometheus text on /metrics with the metrics operators need, /healthz,
// and /readyz once its workers joined their groups. Checked without a browser: parsed line by line.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventRecords, makeEvents } from '../helpers/events.ts';
import { produceAll, readAll, waitForGroupCaughtUp } from '../helpers/kafka.ts';
import { createPipeline, transformTopology } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';
import { WorkerPool } from '../helpers/workers.ts';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** Parses Prometheus text exposition format 0.0.4; throws on a malformed line. */
export function parsePrometheus(
  text: string,
): Map<string, { type: string; samples: Array<{ name: string; labels: Record<string, string>; value: number }> }> {
  const families = new Map<string, { type: string; samples: Array<{ name: string; labels: Record<string, string>; value: number }> }>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      families.set(type[1]!, { type: type[2]!, samples: [] });
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    const labels = Object.fromEntries(
      [...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]),
    );
    const family = [...families.keys()].find((f) => m[1] === f || m[1] === `${f}_bucket` || m[1] === `${f}_sum` || m[1] === `${f}_count`);
    if (!family) throw new Error(`sample without a # TYPE: ${line}`);
    families.get(family)!.samples.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return families;
}

describe('metrics and health endpoints', { timeout: 120_000 }, () => {
  it('/metrics parses as Prometheus text and has the step metrics; /healthz and /readyz answer', async () => {
    const p = await createPipeline(transformTopology({ partitions: 2, transform: 'flaky', retry: '{ delays: [300ms] }' }));
    const events = makeEvents(200, 10);
    const port = await freePort();
    const pool = new WorkerPool(p, {
      env: { FLAKY_IDS: 'e1,e2', PERMANENT_IDS: 'e3' },
      args: ['--metrics-port', String(port), '--metrics-host', '127.0.0.1'],
    });
    const w = pool.start('a');
    await produceAll(await eventRecords(p.topic('in'), events));
    await waitForGroupCaughtUp(p.plan.steps[0]!.group, p.topic('in'));
    await waitFor(async () => (await readAll(p.topic('out'))).length >= 199, { timeoutMs: 30_000, what: 'retried events out' });
    const base = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok\n');
    expect(w.logs.find((l) => l.msg === 'serving /metrics, /healthz and /readyz')).toMatchObject({ host: '127.0.0.1', port });
    const ready = await waitFor(
      async () => {
        const r = await fetch(`${base}/readyz`);
        return r.status === 200 ? ((await r.json()) as { ready: boolean; workers: Array<{ partitions: number }> }) : undefined;
      },
      { timeoutMs: 20_000, what: '/readyz 200' },
    );
    expect(ready).toMatchObject({ ready: true, workers: [{ partitions: 2 }] });
    // The lag and tier gauges are refreshed every few seconds: wait for one refresh.
    const families = await waitFor(
      async () => {
        const res = await fetch(`${base}/metrics`);
        expect(res.headers.get('content-type')).toContain('text/plain');
        const f = parsePrometheus(await res.text());
        return f.get('weir_consumer_lag_records')?.samples.length ? f : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1_000, what: 'the lag gauge' },
    );
    const step = `step-${p.id}`;
    const value = (name: string, labels: Record<string, string> = {}) =>
      families
        .get(name)
        ?.samples.filter((s) => s.name === name && s.labels.step === step && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((n, s) => n + s.value, 0);
    expect(value('weir_records_in_total', { source: 'input' })).toBe(200);
    expect(value('weir_records_in_total', { source: 'retry' })).toBe(2);
    expect(value('weir_records_out_total')).toBe(199);
    expect(value('weir_transactions_total', { outcome: 'committed' })).toBeGreaterThan(0);
    expect(value('weir_retry_hops_total', { error_class: 'RetryableError' })).toBe(2);
    expect(value('weir_dlq_records_total', { error_class: 'NonRetryableError' })).toBe(1);
    expect(value('weir_consumer_lag_records')).toBe(0);
    // Every series of the step names its pipeline too: same-named steps of two pipelines stay apart.
    const ofStep = [...families.values()].flatMap((f) => f.samples.filter((x) => x.labels.step === step));
    expect(ofStep.length).toBeGreaterThan(0);
    expect(ofStep.every((x) => x.labels.pipeline === p.plan.steps[0]!.pipeline)).toBe(true);
    for (const name of [
      'weir_batch_records',
      'weir_transaction_duration_seconds',
      'weir_process_batch_duration_seconds',
      'weir_retry_lateness_seconds',
    ]) {
      expect(families.get(name)?.type, name).toBe('histogram');
      expect(
        value(`${name}_count`) ??
          families
            .get(name)!
            .samples.filter((s) => s.name === `${name}_count` && s.labels.step === step)
            .reduce((n, s) => n + s.value, 0),
      ).toBeGreaterThan(0);
    }
    for (const name of [
      'weir_fenced_total',
      'weir_assigned_partitions',
      'weir_retry_tier_records',
      'weir_rate_limit_wait_seconds_total',
      'weir_sink_rows_total',
      'weir_sink_write_duration_seconds',
      'process_resident_memory_bytes',
    ]) {
      expect(families.has(name), name).toBe(true);
    }
    expect(await pool.stopAll()).toEqual([0]);
  });
});
