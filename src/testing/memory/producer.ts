// A producer over the memory logs. Plain: records land at once. Transactional: records and
// offsets are buffered and land together at commit (so no reader ever sees uncommitted data), and
// the state checks are strict, so a worker bug (begin twice, commit without a transaction) shows.
import { KafkaError } from '../../kafka/errors.ts';
import type { StepConsumer, StepProducer, TransactionalProducerOptions } from '../../kafka/ports.ts';
import { tpKey, type OutboundRecord, type TopicPartitionOffset } from '../../kafka/types.ts';
import type { Broker, Fenceable } from './broker.ts';
import { MemoryConsumer } from './consumer.ts';
import type { RoutedRecord } from './topics.ts';

const UNKNOWN_MEMBER_ID = 25;

interface Transaction {
  records: RoutedRecord[];
  /** Per group id, per partition: the last offsets sent (a later send replaces an earlier one). */
  offsets: Map<string, Map<string, TopicPartitionOffset>>;
  /** An abortable error hit this transaction: it can only be aborted now, as in librdkafka. */
  doomed?: KafkaError;
}

export class MemoryProducer implements StepProducer, Fenceable {
  private state: 'new' | 'ready' | 'fenced' | 'closed' = 'new';
  private tx: Transaction | undefined;

  constructor(
    private readonly broker: Broker,
    readonly opts: TransactionalProducerOptions,
  ) {}

  private get transactionalId(): string | undefined {
    return this.opts.transactionalId;
  }

  /**
   * Throws what a call fails with now: the producer's state first, then an injected fault. A fault
   * that strikes after the call took effect is returned instead, for the call to throw at its end.
   */
  private enter(operation: string): KafkaError | undefined {
    if (this.state === 'fenced') throw new KafkaError('fenced', operation, undefined, 'producer fenced by a newer instance');
    if (this.state === 'closed') throw new KafkaError('fatal', operation, undefined, 'producer disconnected');
    const fault = this.broker.faults.take(operation);
    if (!fault) return undefined;
    if (fault.afterEffect) return fault.error;
    if (fault.error.kind === 'abortable' && this.tx) this.tx.doomed ??= fault.error;
    throw fault.error;
  }

  /** The open transaction, or a fatal error naming what was attempted without one. */
  private open(operation: string, what: string): Transaction {
    if (this.transactionalId === undefined)
      throw new KafkaError('fatal', operation, undefined, 'The Transactional API requires transactional.id to be configured');
    if (!this.tx) throw new KafkaError('fatal', operation, undefined, `invalid transaction state: ${what} without an open transaction`);
    return this.tx;
  }

  async sendAll(records: readonly OutboundRecord[]): Promise<void> {
    this.enter('produce');
    const tx = this.transactionalId === undefined ? undefined : this.open('produce', 'produce');
    // Routing validates every record before any is written: a bad topic writes nothing.
    const routed = records.map((r) => this.broker.topics.route(r, 'produce'));
    if (tx) tx.records.push(...routed);
    else for (const r of routed) this.broker.topics.append(r);
  }

  async flush(_timeoutMs?: number): Promise<void> {
    this.enter('flush');
  }

  async initTransactions(_timeoutMs: number): Promise<void> {
    this.enter('transaction.init');
    const id = this.transactionalId;
    if (id === undefined)
      throw new KafkaError('fatal', 'transaction.init', undefined, 'The Transactional API requires transactional.id to be configured');
    if (this.tx)
      throw new KafkaError('fatal', 'transaction.init', undefined, 'invalid transaction state: initTransactions with an open transaction');
    const previous = this.broker.transactionalIds.get(id);
    if (previous !== this) previous?.fence();
    this.broker.transactionalIds.set(id, this);
    this.state = 'ready';
  }

  async beginTransaction(): Promise<void> {
    this.enter('transaction.begin');
    if (this.transactionalId === undefined)
      throw new KafkaError('fatal', 'transaction.begin', undefined, 'The Transactional API requires transactional.id to be configured');
    if (this.state !== 'ready')
      throw new KafkaError('fatal', 'transaction.begin', undefined, 'invalid transaction state: beginTransaction before initTransactions');
    if (this.tx)
      throw new KafkaError(
        'fatal',
        'transaction.begin',
        undefined,
        'invalid transaction state: beginTransaction while a transaction is open',
      );
    this.tx = { records: [], offsets: new Map() };
  }

  async sendOffsetsToTransaction(offsets: TopicPartitionOffset[], consumer: StepConsumer, _timeoutMs: number): Promise<void> {
    const op = 'transaction.sendOffsets';
    this.enter(op);
    const tx = this.open(op, 'sendOffsetsToTransaction');
    if (!(consumer instanceof MemoryConsumer) || !consumer.belongsTo(this.broker)) {
      throw new KafkaError('fatal', op, undefined, 'the consumer is not a member of this memory cluster');
    }
    // A consumer that left its group (or was replaced) has no membership to commit with: a zombie.
    if (!consumer.group.isMember(consumer)) throw new KafkaError('fenced', op, UNKNOWN_MEMBER_ID, 'Broker: Unknown member id');
    const group = tx.offsets.get(consumer.group.id) ?? new Map<string, TopicPartitionOffset>();
    for (const o of offsets) group.set(tpKey(o), { topic: o.topic, partition: o.partition, offset: o.offset });
    tx.offsets.set(consumer.group.id, group);
  }

  /** Appends the records and stores the offsets in one step. A failure leaves the transaction open. */
  async commitTransaction(_timeoutMs: number): Promise<void> {
    const lostAnswer = this.enter('transaction.commit');
    const tx = this.open('transaction.commit', 'commitTransaction');
    if (tx.doomed) throw new KafkaError('abortable', 'transaction.commit', undefined, `transaction must be aborted: ${tx.doomed.message}`);
    for (const r of tx.records) if ((tx.doomed = this.broker.topics.refusal(r))) throw tx.doomed;
    for (const r of tx.records) this.broker.topics.append(r);
    for (const [groupId, offsets] of tx.offsets) this.broker.group(groupId).commit([...offsets.values()]);
    this.broker.stats.committedTransactions++;
    this.tx = undefined;
    if (lostAnswer) throw lostAnswer;
  }

  async abortTransaction(_timeoutMs: number): Promise<void> {
    this.enter('transaction.abort');
    this.open('transaction.abort', 'abortTransaction');
    this.drop();
  }

  private drop(): void {
    if (!this.tx) return;
    this.broker.stats.abortedTransactions++;
    this.broker.stats.abortedRecords.push(...this.tx.records);
    this.tx = undefined;
  }

  /** A newer producer initialised the same transactional id: the open transaction dies with this one. */
  fence(): void {
    this.drop();
    this.state = 'fenced';
  }

  async disconnect(): Promise<void> {
    this.drop();
    const id = this.transactionalId;
    if (id !== undefined && this.broker.transactionalIds.get(id) === this) this.broker.transactionalIds.delete(id);
    if (this.state !== 'fenced') this.state = 'closed';
  }
}
