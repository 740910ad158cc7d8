import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureLogs } from '../../helpers/log-capture.ts';
import { warnIfOverdue } from '../../../src/kafka/overdue.ts';

const flushed = () => new Promise((r) => setImmediate(r));

describe('warnIfOverdue: a transaction call past its own timeout is reported, once', () => {
  afterEach(() => vi.useRealTimers());

  it('warns after timeout + grace when the call has not returned, naming the client and the wait', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { lines, logger } = captureLogs();
    warnIfOverdue('process-producer', 'transaction.sendOffsets', 30_000, 5_000, logger);
    vi.advanceTimersByTime(34_999);
    await flushed();
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(1);
    vi.useRealTimers();
    await flushed();
    expect(lines).toMatchObject([
      { client: 'process-producer', operation: 'transaction.sendOffsets', timeoutMs: 30_000, msg: expect.stringMatching(/not returned/) },
    ]);
    expect(lines[0]!.waitedMs).toBeGreaterThanOrEqual(35_000);
  });

  it('says nothing when the call returns in time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { lines, logger } = captureLogs();
    const settled = warnIfOverdue('p', 'transaction.sendOffsets', 30_000, 5_000, logger);
    vi.advanceTimersByTime(20_000);
    settled();
    vi.advanceTimersByTime(60_000);
    vi.useRealTimers();
    await flushed();
    expect(lines).toEqual([]);
  });
});
