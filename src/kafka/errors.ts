// Every error that leaves src/kafka is a KafkaError with one of these kinds. The runtime decides
// what to do from the kind alone, so the mapping from librdkafka codes lives here and nowhere else.
import RdKafka from '@confluentinc/kafka-javascript';

export type KafkaErrorKind =
  /** Another instance took over this transactional id or group membership: stop being a zombie. */
  | 'fenced'
  /** The transaction is doomed but the producer is fine: abort, rewind, redo. */
  | 'abortable'
  /** Transient and safe to retry as is (broker briefly away, coordinator moving). */
  | 'retriable'
  /** The outcome is unknown (timeout, unexpected state): abort and re-create the producer. */
  | 'indefinite'
  /** No retry can mend it (denied, a missing input topic, an invalid setting): stop with the reason. */
  | 'fatal';

const E = RdKafka.CODES.ERRORS;

const FENCED_CODES = new Set<number>([
  E.ERR__FENCED,
  E.ERR_PRODUCER_FENCED,
  E.ERR_INVALID_PRODUCER_EPOCH,
  E.ERR_TRANSACTION_COORDINATOR_FENCED,
  E.ERR_FENCED_INSTANCE_ID,
]);

export interface RawKafkaError {
  message?: string;
  code?: number;
  isFatal?: boolean;
  isRetriable?: boolean;
  isTxnRequiresAbort?: boolean;
}

export class KafkaError extends Error {
  constructor(
    readonly kind: KafkaErrorKind,
    readonly operation: string,
    readonly code: number | undefined,
    message: string,
  ) {
    super(`${operation}: ${message}${code === undefined ? '' : ` (code ${code})`}`);
    this.name = 'KafkaError';
  }
}

/**
 * Failures no retry can mend: the cluster denies us, a topic we read does not exist, a setting is
 * invalid. The worker stops with the broker's reason instead of retrying forever.
 */
const FATAL_CODES = new Set<number>([
  E.ERR_TOPIC_AUTHORIZATION_FAILED,
  E.ERR_GROUP_AUTHORIZATION_FAILED,
  E.ERR_CLUSTER_AUTHORIZATION_FAILED,
  E.ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  E.ERR_SASL_AUTHENTICATION_FAILED,
  E.ERR__AUTHENTICATION,
  E.ERR_INVALID_CONFIG,
  E.ERR__INVALID_ARG,
  E.ERR_TOPIC_EXCEPTION,
]);

/**
 * The cluster is moving, not refusing: a coordinator or leader is being elected or loading its log
 * after a broker died. Any operation outside a transaction retries (a transaction's own handling
 * below aborts and redoes it instead). Seen in the three-broker leader-kill run: reading committed
 * offsets on assignment got NOT_COORDINATOR while the group coordinator moved, and the worker stopped.
 */
const CLUSTER_MOVING_CODES = new Set<number>([
  E.ERR_NOT_COORDINATOR,
  E.ERR_COORDINATOR_NOT_AVAILABLE,
  E.ERR_COORDINATOR_LOAD_IN_PROGRESS,
  E.ERR__WAIT_COORD,
  E.ERR_NOT_LEADER_FOR_PARTITION,
  E.ERR_LEADER_NOT_AVAILABLE,
  E.ERR_NOT_ENOUGH_REPLICAS,
  E.ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  E.ERR_REQUEST_TIMED_OUT,
]);

/** The subscribed input topic does not exist (librdkafka: "Subscribed topic not available"). */
const MISSING_TOPIC_CODES = new Set<number>([E.ERR_UNKNOWN_TOPIC_OR_PART, E.ERR__UNKNOWN_TOPIC]);

export function classifyKafkaError(raw: RawKafkaError, operation: string): KafkaErrorKind {
  const code = raw.code;
  if (code !== undefined && FENCED_CODES.has(code)) return 'fenced';
  // The group no longer knows this member (it missed its session timeout): a zombie.
  if (code === E.ERR_UNKNOWN_MEMBER_ID && operation.startsWith('transaction')) return 'fenced';
  if (code !== undefined && FATAL_CODES.has(code)) return 'fatal';
  if (code !== undefined && MISSING_TOPIC_CODES.has(code) && operation === 'consume') return 'fatal';
  // librdkafka's "fatal" means this client instance is unusable, not that the cluster refuses us:
  // a new instance (a new producer, or rejoining with new clients) is the way on. A consumer's only
  // fatal error is a static member fenced by another with its group.instance.id; polling the dead
  // instance again spins forever (seen in the three-broker leader-kill run: a session timed out
  // while the group coordinator moved, the rejoin was fenced, and a sink step polled an unusable
  // consumer for ten minutes, its partitions revoked, so no stall was reported). Rejoin instead.
  if (raw.isFatal || code === E.ERR__FATAL) return operation.startsWith('transaction') || operation === 'produce' ? 'indefinite' : 'fenced';
  if (raw.isTxnRequiresAbort) return 'abortable';
  if (code === E.ERR__TIMED_OUT || code === E.ERR__TIMED_OUT_QUEUE) return 'indefinite';
  if (raw.isRetriable) return 'retriable';
  // The group's generation moved on: the offsets cannot be committed in this transaction.
  if (code === E.ERR_ILLEGAL_GENERATION || code === E.ERR_UNKNOWN_MEMBER_ID || code === E.ERR_REBALANCE_IN_PROGRESS) {
    return 'abortable';
  }
  if (code === E.ERR__TRANSPORT || code === E.ERR__ALL_BROKERS_DOWN) return 'retriable';
  if (operation.startsWith('transaction')) return 'indefinite';
  if (code !== undefined && CLUSTER_MOVING_CODES.has(code)) return 'retriable';
  // A poll error the client recovers from by itself (max poll exceeded, a partition's fetch error…).
  return operation === 'consume' ? 'retriable' : 'fatal';
}

/**
 * Kafka refused the record itself (its size, its form, its timestamp): no redo of it can succeed,
 * while the other records of its transaction are fine. The loop isolates such a record (isolation.ts).
 */
const RECORD_REFUSAL_CODES = new Set<number>([
  E.ERR_MSG_SIZE_TOO_LARGE,
  E.ERR_RECORD_LIST_TOO_LARGE,
  E.ERR_INVALID_MSG_SIZE,
  E.ERR_INVALID_MSG,
  E.ERR_INVALID_RECORD,
  E.ERR_INVALID_TIMESTAMP,
]);

export function isRecordRefusal(code: number | undefined): boolean {
  return code !== undefined && RECORD_REFUSAL_CODES.has(code);
}

/** The refusal says the record is too large for its topic. */
export function isTooLarge(code: number | undefined): boolean {
  return code === E.ERR_MSG_SIZE_TOO_LARGE || code === E.ERR_RECORD_LIST_TOO_LARGE || code === E.ERR_INVALID_MSG_SIZE;
}

/** A refusal no retry mends (denied, authentication, invalid configuration). */
export function isRefusal(code: number | undefined): boolean {
  return code !== undefined && FATAL_CODES.has(code);
}

export function toKafkaError(raw: unknown, operation: string): KafkaError {
  if (raw instanceof KafkaError) return raw;
  const r = (typeof raw === 'object' && raw !== null ? raw : { message: String(raw) }) as RawKafkaError;
  return new KafkaError(classifyKafkaError(r, operation), operation, r.code, r.message ?? String(raw));
}

export function isKafkaError(err: unknown, kind?: KafkaErrorKind): err is KafkaError {
  return err instanceof KafkaError && (kind === undefined || err.kind === kind);
}

export const KAFKA_CODES = {
  topicAlreadyExists: E.ERR_TOPIC_ALREADY_EXISTS,
  queueFull: E.ERR__QUEUE_FULL,
  assignPartitions: E.ERR__ASSIGN_PARTITIONS,
  revokePartitions: E.ERR__REVOKE_PARTITIONS,
  unknownTopic: E.ERR_UNKNOWN_TOPIC_OR_PART,
  topicAuthorization: E.ERR_TOPIC_AUTHORIZATION_FAILED,
  groupAuthorization: E.ERR_GROUP_AUTHORIZATION_FAILED,
  groupIdNotFound: E.ERR_GROUP_ID_NOT_FOUND,
  nonEmptyGroup: E.ERR_NON_EMPTY_GROUP,
  transport: E.ERR__TRANSPORT,
  timedOut: E.ERR__TIMED_OUT,
  allBrokersDown: E.ERR__ALL_BROKERS_DOWN,
} as const;
