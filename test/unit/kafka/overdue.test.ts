import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureLogs } from '../../helpers/log-capture.ts';
import { rescueIfOverdue } from '../../../src/kafka/overdue.ts';

const flushed = () => new Promise((r) => setImmediate(r));

/** A stuck call whose fence and nudge are recorded; `fenceResult` says how the fence ends. */
function stuckCall(fenceResult: () => Promise<void> = () => Promise.resolve()) {
  const { lines, logger } = captureLogs();
  const steps: string[] = [];
  const stuck = {
    client: 'process-producer',
    operation: 'transaction.sendOffsets',
    log: logger,
    fence: () => {
      steps.push('fence');
      return fenceResult();
    },
    nudge: () => void steps.push('nudge'),
  };
  return { stuck, steps, lines };
}

describe('rescueIfOverdue: a send-offsets call past its own timeout is ended by fencing the producer', () => {
  afterEach(() => vi.useRealTimers());

  it('after timeout + grace: says so, fences, then nudges the stuck producer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { stuck, steps, lines } = stuckCall();
    rescueIfOverdue(30_000, 5_000, stuck);
    vi.advanceTimersByTime(34_999);
    await flushed();
    expect(steps).toEqual([]);
    vi.advanceTimersByTime(1);
    vi.useRealTimers();
    await flushed();
    expect(steps).toEqual(['fence', 'nudge']);
    expect(lines).toMatchObject([
      {
        client: 'process-producer',
        operation: 'transaction.sendOffsets',
        timeoutMs: 30_000,
        msg: expect.stringMatching(/not returned.*fencing/),
      },
      { msg: expect.stringMatching(/fenced the stuck one/) },
    ]);
    expect(lines[0]!.waitedMs).toBeGreaterThanOrEqual(35_000);
  });

  it('does nothing when the call returns in time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { stuck, steps, lines } = stuckCall();
    const settled = rescueIfOverdue(30_000, 5_000, stuck);
    vi.advanceTimersByTime(20_000);
    settled();
    vi.advanceTimersByTime(60_000);
    vi.useRealTimers();
    await flushed();
    expect(steps).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('skips the nudge when the call returned while the fence was made (the fenced producer fails its next call)', async () => {
    let fenced!: () => void;
    const { stuck, steps } = stuckCall(() => new Promise<void>((r) => (fenced = r)));
    const settled = rescueIfOverdue(0, 1, stuck);
    await new Promise((r) => setTimeout(r, 20));
    expect(steps).toEqual(['fence']);
    settled();
    fenced();
    await flushed();
    expect(steps).toEqual(['fence']);
  });

  it('a fence that fails is logged and sends nothing', async () => {
    const { stuck, steps, lines } = stuckCall(() => Promise.reject(new Error('coordinator not available')));
    rescueIfOverdue(0, 1, stuck);
    await new Promise((r) => setTimeout(r, 20));
    expect(steps).toEqual(['fence']);
    expect(lines.at(-1)).toMatchObject({ err: 'coordinator not available', msg: expect.stringMatching(/could not fence/) });
  });
});
