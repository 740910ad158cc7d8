// A partition with lag whose committed offset does not move for the stall time is stalled: one
// error log, the gauge at 1, listed for /readyz — and cleared once it moves or is no longer held.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { registry } from '../../../src/observability/metrics.ts';
import { StallWatch } from '../../../src/runtime/stalls.ts';

function watch(stallAfterMs = 60_000) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stalls: new StallWatch({ pipeline: 'p', step: 'st' }, 'in', stallAfterMs, pino({ level: 'info' }, sink)) };
}

async function gauge(partition: number): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'weir_partition_stalled');
  return metric?.values.find((v) => v.labels.step === 'st' && v.labels.partition === String(partition))?.value;
}

describe('stall watch', () => {
  it('a partition with lag and no commit for the stall time is stalled once, with the last error; a commit clears it', async () => {
    const { stalls, lines } = watch();
    stalls.observe(0, 100, 40, 40, 0, undefined);
    stalls.observe(0, 100, 55, 40, 59_999, 'Broker: Message size too large');
    expect(stalls.stalls(59_999, undefined)).toEqual([]);
    stalls.observe(0, 100, 40, 40, 60_000, 'Broker: Message size too large');
    stalls.observe(0, 100, 40, 40, 75_000, 'Broker: Message size too large');
    expect(stalls.stalls(75_000, 'Broker: Message size too large')).toEqual([
      { partition: 0, offset: 40, lag: 60, stalledForMs: 75_000, lastError: 'Broker: Message size too large' },
    ]);
    expect(await gauge(0)).toBe(1);
    const errors = lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ partition: 0, offset: 40, lag: 60, lastError: 'Broker: Message size too large' });
    stalls.observe(0, 100, 41, 41, 80_000);
    expect(stalls.stalls(80_000, undefined)).toEqual([]);
    expect(await gauge(0)).toBe(0);
    expect(lines.at(-1)!.msg).toBe('partition moves again');
  });

  it('a caught-up partition is never stalled, with or without commits in this assignment', () => {
    const { stalls } = watch();
    stalls.observe(1, 100, 100, undefined, 0);
    stalls.observe(1, 100, 100, undefined, 600_000);
    stalls.observe(2, 100, 100, 100, 0);
    stalls.observe(2, 100, 100, 100, 600_000);
    expect(stalls.stalls(600_000, undefined)).toEqual([]);
  });

  it('nothing committed since the assignment while records wait: stalled from where it started', () => {
    const { stalls } = watch(1_000);
    stalls.observe(3, 10, 4, undefined, 0);
    stalls.observe(3, 10, 9, undefined, 1_000); // read ahead, nothing committed: no progress
    expect(stalls.stalls(1_000, 'x').map((s) => [s.partition, s.offset, s.lag])).toEqual([[3, 4, 6]]);
  });

  it('forgets partitions no longer held', async () => {
    const { stalls } = watch(1_000);
    stalls.observe(4, 10, 4, 4, 0);
    stalls.observe(4, 10, 4, 4, 1_000);
    expect(stalls.stalls(1_000, undefined)).toHaveLength(1);
    stalls.keepOnly([]);
    expect(stalls.stalls(1_000, undefined)).toEqual([]);
    expect(await gauge(4)).toBe(0);
  });
});
