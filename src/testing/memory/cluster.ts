// An in-memory Kafka cluster behind the ports of src/kafka/ports.ts, for unit tests and the
// broker-free test driver: topics with murmur2 partitioning, transactions that expose records and
// offsets together at commit, producer fencing, a cooperative consumer group in manual-rebalance
// mode, and injected failures. Only committed data is ever stored, so all reads are read_committed.
import { KafkaError, type KafkaErrorKind } from '../../kafka/errors.ts';
import type { KafkaClients } from '../../kafka/ports.ts';
import type { InboundRecord, OutboundRecord, TopicPartition, TopicPartitionOffset } from '../../kafka/types.ts';
import type { Clock } from '../../runtime/clock.ts';
import { Broker, type MemoryStats } from './broker.ts';
import { MemoryConsumer } from './consumer.ts';
import { MemoryProducer } from './producer.ts';
import { copyRecord } from './topics.ts';

export type { MemoryStats };

const UNKNOWN_TOPIC_OR_PART = 3;

export class MemoryCluster {
  private readonly broker: Broker;

  constructor(clock: Clock) {
    this.broker = new Broker(clock);
  }

  /** Transaction counters and the records aborted transactions took with them. */
  get stats(): MemoryStats {
    return this.broker.stats;
  }

  /** Records written so far over all topics (committed ones: inputs, outputs, hops). */
  get written(): number {
    return this.broker.topics.written;
  }

  /** Idempotent; throws if the topic exists with another partition count. */
  createTopic(name: string, partitions: number): void {
    this.broker.createTopic(name, partitions);
  }

  hasTopic(name: string): boolean {
    return this.broker.topics.has(name);
  }

  partitionsOf(topic: string): number {
    return this.broker.topics.partitionsOf(topic);
  }

  /** A committed, non-transactional write (test input). `topic` wins over `record.topic`. */
  append(topic: string, record: Omit<OutboundRecord, 'topic'> & { topic?: string }): TopicPartitionOffset {
    return this.broker.topics.append(this.broker.topics.route({ ...record, topic }, 'append'));
  }

  /** What a read_committed reader sees: per partition in offset order, partitions in order. */
  records(topic: string, partition?: number): InboundRecord[] {
    const partitions = partition === undefined ? [...Array(this.partitionsOf(topic)).keys()] : [partition];
    return partitions.flatMap((p) => {
      const log = this.broker.topics.log({ topic, partition: p });
      if (!log) throw new Error(`unknown partition ${topic} [${p}]`);
      return log.map(copyRecord);
    });
  }

  committedOffset(groupId: string, tp: TopicPartition): number | undefined {
    return this.broker.findGroup(groupId)?.committed(tp);
  }

  /** The broker refuses records larger than `bytes` on `topic` (as `max.message.bytes`, which the worker does not know). */
  limitMessageBytes(topic: string, bytes: number): void {
    this.broker.topics.maxMessageBytes.set(topic, bytes);
  }

  /** The next call of `operation` (the KafkaError operation name, e.g. 'transaction.commit') by any client fails. */
  failNext(operation: string, kind: KafkaErrorKind, message = 'injected'): void {
    this.broker.faults.failNext(operation, kind, message);
  }

  /** The next commit of a transaction by any client takes effect and then fails with `kind`: its answer was lost. */
  failAfterCommit(kind: KafkaErrorKind, message = 'injected'): void {
    this.broker.faults.failNext('transaction.commit', kind, message, true);
  }

  /** Injected failures not hit yet, per operation. */
  pendingFaults(): Record<string, number> {
    return this.broker.faults.pending();
  }

  /** Queues revoke events on the owners of `partitions`; nobody gets them back until reassign(). */
  revoke(groupId: string, partitions: TopicPartition[], lost = false): void {
    this.broker.findGroup(groupId)?.revoke(partitions, lost);
  }

  /** Queues assign events for the group's unowned partitions (those whose revoke completed). */
  reassign(groupId: string): void {
    this.broker.findGroup(groupId)?.reassign();
  }

  clients(): KafkaClients {
    const broker = this.broker;
    const enter = (operation: string) => {
      const fault = broker.faults.take(operation);
      if (fault) throw fault.error;
    };
    const endOf = (tp: TopicPartition, operation: string) => {
      if (!broker.topics.log(tp))
        throw new KafkaError('fatal', operation, UNKNOWN_TOPIC_OR_PART, `Unknown topic or partition: ${tp.topic} [${tp.partition}]`);
      return broker.topics.end(tp);
    };
    return {
      async consumer(opts) {
        enter('consumer.connect');
        return new MemoryConsumer(broker, opts);
      },
      async producer(opts) {
        enter('producer.connect');
        return new MemoryProducer(broker, opts);
      },
      async endOffsets(partitions) {
        enter('endOffsets');
        return partitions.map(({ topic, partition }) => ({ topic, partition, offset: endOf({ topic, partition }, 'endOffsets') }));
      },
      // Uncommitted data never reaches the logs, so every partition is always stable.
      async untilStable(partitions) {
        enter('untilStable');
        for (const tp of partitions) endOf(tp, 'untilStable');
      },
      async readToEnd(partitions, onRecord) {
        enter('readToEnd');
        // The end is fixed first: records a callback causes to be written are not read.
        const ends = partitions.map((tp) => endOf(tp, 'readToEnd'));
        partitions.forEach((tp, i) => {
          const log = broker.topics.log(tp)!;
          for (let offset = 0; offset < ends[i]!; offset++) onRecord(copyRecord(log[offset]!));
        });
      },
      async close() {},
    };
  }
}
