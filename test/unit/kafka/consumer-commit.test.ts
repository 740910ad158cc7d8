import RdKafka from '@confluentinc/kafka-javascript';
import { describe, expect, it } from 'vitest';
import { KafkaConsumer } from '../../../src/kafka/consumer.ts';
import { KafkaError } from '../../../src/kafka/errors.ts';
import { kindOf } from '../../../src/runtime/lifecycle.ts';

const E = RdKafka.CODES.ERRORS;

/** The wrapper over a binding whose synchronous commit throws what librdkafka throws. */
function consumerWhoseCommitThrows(raw: object | undefined): { consumer: KafkaConsumer; commits: unknown[] } {
  const commits: unknown[] = [];
  const native = {
    commitSync(offsets: unknown) {
      commits.push(offsets);
      if (raw) throw Object.assign(new Error('librdkafka'), raw);
    },
  };
  // The constructor is private (connect() makes real clients): only the binding matters here.
  const consumer = Object.assign(Object.create(KafkaConsumer.prototype) as KafkaConsumer, { native });
  return { consumer, commits };
}

const offsets = [{ topic: 'in', partition: 0, offset: 42 }];

describe('KafkaConsumer.commitSync (at-least-once delivery)', () => {
  it.each([
    [E.ERR_ILLEGAL_GENERATION, 'Broker: Specified group generation id is not valid'],
    [E.ERR_REBALANCE_IN_PROGRESS, 'Broker: Group rebalance in progress'],
    [E.ERR_UNKNOWN_MEMBER_ID, 'Broker: Unknown member'],
  ])('a commit that races a rebalance (code %i) is an abortable KafkaError, not a bug that stops the worker', (code, message) => {
    const { consumer } = consumerWhoseCommitThrows({ code, message });
    let thrown: unknown;
    try {
      consumer.commitSync(offsets);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(KafkaError);
    expect(thrown).toMatchObject({ operation: 'commit', code, message: expect.stringContaining(message) });
    expect(kindOf(thrown)).toBe('abortable');
  });

  it('passes the offsets through, and commits nothing for an empty list', () => {
    const { consumer, commits } = consumerWhoseCommitThrows(undefined);
    consumer.commitSync([]);
    consumer.commitSync(offsets);
    expect(commits).toEqual([offsets]);
  });
});
