import RdKafka from '@confluentinc/kafka-javascript';
import { describe, expect, it } from 'vitest';
import { classifyKafkaError, toKafkaError } from '../../../src/kafka/errors.ts';

const E = RdKafka.CODES.ERRORS;

describe('Kafka error classification', () => {
  it.each([
    [{ code: E.ERR__FENCED, isFatal: true }, 'transaction.commit', 'fenced'],
    [{ code: E.ERR_PRODUCER_FENCED }, 'transaction.commit', 'fenced'],
    [{ code: E.ERR_INVALID_PRODUCER_EPOCH }, 'produce', 'fenced'],
    [{ code: E.ERR__STATE, isFatal: true }, 'transaction.begin', 'indefinite'],
    [{ code: E.ERR_TOPIC_AUTHORIZATION_FAILED }, 'consume', 'fatal'],
    [{ code: E.ERR_GROUP_AUTHORIZATION_FAILED }, 'consume', 'fatal'],
    [{ code: E.ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, isFatal: true }, 'transaction.init', 'fatal'],
    [{ code: E.ERR_TOPIC_AUTHORIZATION_FAILED, isTxnRequiresAbort: true }, 'transaction.commit', 'fatal'],
    [{ code: E.ERR_UNKNOWN_TOPIC_OR_PART }, 'consume', 'fatal'],
    [{ code: E.ERR_UNKNOWN_TOPIC_OR_PART, isRetriable: true }, 'produce', 'retriable'],
    [{ code: E.ERR__MAX_POLL_EXCEEDED }, 'consume', 'retriable'],
    // A fenced static member's consumer is unusable: rejoin with fresh clients, never poll it again.
    [{ code: E.ERR__FATAL }, 'consume', 'fenced'],
    [{ code: E.ERR__FATAL, isFatal: true }, 'commit', 'fenced'],
    [{ code: E.ERR__FATAL, isFatal: true }, 'transaction.commit', 'indefinite'],
    [{ code: E.ERR__TIMED_OUT, isRetriable: true }, 'transaction.commit', 'indefinite'],
    [{ code: E.ERR_ILLEGAL_GENERATION, isTxnRequiresAbort: true }, 'transaction.sendOffsets', 'abortable'],
    [{ code: E.ERR_ILLEGAL_GENERATION }, 'transaction.sendOffsets', 'abortable'],
    [{ code: E.ERR_UNKNOWN_MEMBER_ID, isTxnRequiresAbort: true }, 'transaction.sendOffsets', 'fenced'],
    [{ code: E.ERR_UNKNOWN_MEMBER_ID }, 'commit', 'abortable'],
    [{ code: E.ERR_COORDINATOR_NOT_AVAILABLE, isRetriable: true }, 'transaction.commit', 'retriable'],
    [{ code: E.ERR__ALL_BROKERS_DOWN }, 'consume', 'retriable'],
    // The group coordinator moving after a broker died: seen on `committed` in the leader-kill run.
    [{ code: E.ERR_NOT_COORDINATOR }, 'committed', 'retriable'],
    [{ code: E.ERR_COORDINATOR_LOAD_IN_PROGRESS }, 'committed', 'retriable'],
    [{ code: E.ERR_COORDINATOR_NOT_AVAILABLE }, 'commit', 'retriable'],
    [{ code: E.ERR_NOT_LEADER_FOR_PARTITION }, 'admin.createTopic', 'retriable'],
    [{ code: E.ERR_NOT_COORDINATOR }, 'transaction.commit', 'indefinite'],
    [{ code: 12345 }, 'transaction.commit', 'indefinite'],
    [{ code: 12345 }, 'admin.createTopic', 'fatal'],
  ] as const)('%o during %s is %s', (raw, op, kind) => {
    expect(classifyKafkaError(raw, op)).toBe(kind);
  });

  it('keeps the operation and code in the message', () => {
    const err = toKafkaError({ code: E.ERR__TIMED_OUT, message: 'Local: Timed out' }, 'transaction.commit');
    expect(err.message).toBe(`transaction.commit: Local: Timed out (code ${E.ERR__TIMED_OUT})`);
    expect(err.kind).toBe('indefinite');
  });
});
