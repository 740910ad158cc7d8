import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { warnIfOverdue } from '../../../src/kafka/overdue.ts';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, sink) };
}
const flushed = () => new Promise((r) => setImmediate(r));

describe('warnIfOverdue: a transaction call past its own timeout is reported, once', () => {
  afterEach(() => vi.useRealTimers());

  it('warns after timeout + grace when the call has not returned, naming the client and the wait', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { lines, logger } = capture();
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
    const { lines, logger } = capture();
    const settled = warnIfOverdue('p', 'transaction.sendOffsets', 30_000, 5_000, logger);
    vi.advanceTimersByTime(20_000);
    settled();
    vi.advanceTimersByTime(60_000);
    vi.useRealTimers();
    await flushed();
    expect(lines).toEqual([]);
  });
});
