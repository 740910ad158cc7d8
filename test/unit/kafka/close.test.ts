import { describe, expect, it } from 'vitest';
import { captureLogs } from '../../helpers/log-capture.ts';
import { closeWithin } from '../../../src/kafka/close.ts';

describe('closeWithin: a client close that never returns cannot hold the worker', () => {
  it('resolves false at the deadline when the close never calls back, and says so', async () => {
    const { lines, logger } = captureLogs();
    const closed = await closeWithin('transform-producer', 30, () => undefined, logger);
    expect(closed).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(lines).toMatchObject([{ client: 'transform-producer', timeoutMs: 30, msg: expect.stringMatching(/abandoning/) }]);
  });

  it('resolves true when the close calls back, with nothing logged', async () => {
    const { lines, logger } = captureLogs();
    const closed = await closeWithin('c', 60_000, (done) => setTimeout(done, 5), logger);
    expect(closed).toBe(true);
    expect(lines).toEqual([]);
  });

  it('resolves false when the binding throws (the handle is gone)', async () => {
    const { lines, logger } = captureLogs();
    const closed = await closeWithin(
      'c',
      60_000,
      () => {
        throw new Error('KafkaConsumer is not connected');
      },
      logger,
    );
    expect(closed).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ err: 'KafkaConsumer is not connected' });
  });
});
