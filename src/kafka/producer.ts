// Producer wrapper: promise API over the callback client, explicit timeouts on every transactional
// call, delivery errors collected for non-transactional flushes, and errors mapped to KafkaError.
import RdKafka from '@confluentinc/kafka-javascript';
import type { Logger } from '../observability/logger.ts';
import { baseConfig, forwardClientLogs, type KafkaConnection } from './client-config.ts';
import { closeWithin } from './close.ts';
import { isRecordRefusal, isRefusal, KAFKA_CODES, KafkaError, toKafkaError } from './errors.ts';
import { KafkaConsumer } from './consumer.ts';
import { rescueIfOverdue } from './overdue.ts';
import type { StepConsumer, StepProducer } from './ports.ts';
import type { OutboundHeader, OutboundRecord, TopicPartitionOffset } from './types.ts';

/** Where an acknowledged record landed. */
export type Delivery = TopicPartitionOffset;

export interface ProducerOptions {
  name: string;
  /** Set for a transactional producer (implies idempotence). */
  transactionalId?: string;
  transactionTimeoutMs?: number;
  /** Plain producers: idempotent by default. */
  idempotent?: boolean;
  lingerMs?: number;
  logger?: Logger;
  extra?: Record<string, string | number | boolean>;
}

/** How long past its own timeout a transaction call may take before the producer is fenced to end it (overdue.ts). */
const OVERDUE_GRACE_MS = 5_000;
/** The fencing producer's initTransactions: it waits for the coordinator to abort the stuck transaction. */
const FENCE_TIMEOUT_MS = 30_000;

type Callback = (err: unknown) => void;
const call = (operation: string, fn: (cb: Callback) => void): Promise<void> =>
  new Promise((resolve, reject) => fn((err) => (err ? reject(toKafkaError(err, operation)) : resolve())));

/**
 * A zero-length Buffer whose memory is not null. The binding hands librdkafka a zero-length Buffer's
 * data pointer, which is null for a Buffer of its own (empty) memory — and a null pointer is a null
 * value: an empty value or key became a tombstone / no key. A zero-length view into real memory
 * stays empty.
 */
const EMPTY = Buffer.alloc(8).subarray(0, 0);
const nonNull = (b: Buffer | string | null | undefined): Buffer | string | null => (b == null ? null : b.length === 0 ? EMPTY : b);

/** The binding's header shape: one single-key object per header (string values are sent as UTF-8). */
function toClientHeaders(headers: readonly OutboundHeader[] | undefined): Array<Record<string, Buffer | string>> | undefined {
  if (headers === undefined || headers.length === 0) return undefined;
  const out = new Array<Record<string, Buffer | string>>(headers.length);
  for (let i = 0; i < headers.length; i++) out[i] = { [headers[i]!.key]: headers[i]!.value };
  return out;
}

export class KafkaProducer implements StepProducer {
  private deliveryError: KafkaError | undefined;
  private pending = 0;
  private readonly deliveryListeners = new Set<(delivery: Delivery) => void>();

  readonly transactional: boolean;

  private constructor(
    private readonly client: RdKafka.Producer,
    private readonly conn: KafkaConnection,
    private readonly opts: ProducerOptions,
  ) {
    this.transactional = opts.transactionalId !== undefined;
    client.on('delivery-report', (err, report) => {
      if (!this.transactional) this.pending--;
      if (err) {
        const e = toKafkaError(err, 'delivery');
        this.deliveryError ??= new KafkaError(
          e.kind,
          'delivery',
          e.code,
          `${report?.topic ?? 'a topic'}: ${e.message.replace(/^delivery: /, '')}`,
        );
      } else if (this.deliveryListeners.size > 0) {
        const d = { topic: report.topic, partition: report.partition, offset: report.offset };
        for (const l of this.deliveryListeners) l(d);
      }
    });
  }

  static async connect(conn: KafkaConnection, opts: ProducerOptions): Promise<KafkaProducer> {
    const config: Record<string, unknown> = {
      ...baseConfig(conn, opts.name),
      dr_cb: true,
      // In a transaction a failed delivery fails the commit anyway: only failures are reported (the
      // reason a commit gives is then the refusal), not one event per record crossing into JS.
      'delivery.report.only.error': opts.transactionalId !== undefined,
      'linger.ms': opts.lingerMs ?? 5,
      // The broker judges sizes per topic (max.message.bytes, up to its request limit); librdkafka's
      // own 1 MB default would refuse a record that the topics accept.
      'message.max.bytes': 64 * 1024 * 1024,
      'enable.idempotence': opts.transactionalId !== undefined || opts.idempotent !== false,
    };
    if (opts.transactionalId !== undefined) {
      config['transactional.id'] = opts.transactionalId;
      config['transaction.timeout.ms'] = opts.transactionTimeoutMs ?? 60_000;
      // send_offsets_to_transaction waiting on a dead group coordinator resumes only when one of the
      // producer's broker connections goes up or down (overdue.ts). With sparse connections a
      // restarted broker gets none until a partition needs it; a connection to every broker the
      // metadata lists, refreshed every 10 s, makes the broker's return that event. While the broker
      // stays down, fencing ends the wait (rescueIfOverdue).
      config['enable.sparse.connections'] = false;
      config['topic.metadata.refresh.interval.ms'] = 10_000;
    }
    Object.assign(config, opts.extra ?? {});
    const client = new RdKafka.Producer(config as RdKafka.ProducerGlobalConfig);
    forwardClientLogs(client, opts.logger);
    await call('producer.connect', (cb) => client.connect({}, cb));
    client.setPollInBackground(true);
    return new KafkaProducer(client, conn, opts);
  }

  /** Enqueues one record; false when the local queue is full (then wait and retry, or use send). */
  trySend(record: OutboundRecord): boolean {
    try {
      this.client.produce(
        record.topic,
        record.partition ?? null,
        record.value !== null && record.value.length === 0 ? EMPTY : record.value,
        nonNull(record.key),
        record.timestamp ?? null,
        undefined,
        toClientHeaders(record.headers),
      );
      if (!this.transactional) this.pending++;
      return true;
    } catch (err) {
      if ((err as { code?: number }).code !== KAFKA_CODES.queueFull) throw toKafkaError(err, 'produce');
      return false;
    }
  }

  /** Enqueues one record; waits (without spinning) while the local queue is full. */
  async send(record: OutboundRecord): Promise<void> {
    while (!this.trySend(record)) await new Promise((r) => setTimeout(r, 5));
  }

  /** Enqueues records in order, synchronously while the queue has room. */
  async sendAll(records: readonly OutboundRecord[]): Promise<void> {
    for (const r of records) if (!this.trySend(r)) await this.send(r);
  }

  /** Waits until every enqueued record is acknowledged; rejects if any delivery failed. */
  async flush(timeoutMs = 30_000): Promise<void> {
    await call('producer.flush', (cb) => this.client.flush(timeoutMs, cb));
    const failed = this.deliveryError;
    this.deliveryError = undefined;
    if (failed) throw failed;
  }

  /** Called for each record the broker acknowledged (failures surface from flush instead); not for transactional producers. */
  onDelivery(listener: (delivery: Delivery) => void): () => void {
    this.deliveryListeners.add(listener);
    return () => this.deliveryListeners.delete(listener);
  }

  /** Records enqueued and not yet reported (non-transactional producers: they get every report). */
  get inFlight(): number {
    return this.pending;
  }

  initTransactions(timeoutMs: number): Promise<void> {
    return call('transaction.init', (cb) => this.client.initTransactions(timeoutMs, cb));
  }

  beginTransaction(): Promise<void> {
    this.deliveryError = undefined;
    return call('transaction.begin', (cb) => this.client.beginTransaction(cb));
  }

  /** `offsets` are the NEXT offsets to read (last processed + 1). */
  sendOffsetsToTransaction(offsets: TopicPartitionOffset[], consumer: StepConsumer, timeoutMs: number): Promise<void> {
    if (!(consumer instanceof KafkaConsumer)) throw new TypeError('a librdkafka producer sends offsets with a librdkafka consumer');
    const settled = rescueIfOverdue(timeoutMs, OVERDUE_GRACE_MS, {
      client: this.opts.name,
      operation: 'transaction.sendOffsets',
      log: this.opts.logger,
      fence: () => this.fenceWithSibling(),
      // A partition outside the transaction: librdkafka asks the coordinator to add it first, and
      // the coordinator refuses the old epoch — the record itself is never sent.
      nudge: () => this.client.produce(offsets[0]!.topic, null, EMPTY, 'weir.fence'),
    });
    return call('transaction.sendOffsets', (cb) => this.client.sendOffsetsToTransaction(offsets, consumer.native, timeoutMs, cb))
      .catch((err: unknown) => {
        throw this.refusalOr(err, 'transaction.sendOffsets');
      })
      .finally(settled);
  }

  /** A producer of the same transactional id, initialised and closed: this one's epoch is fenced. */
  private async fenceWithSibling(): Promise<void> {
    const sibling = await KafkaProducer.connect(this.conn, { ...this.opts, name: `${this.opts.name}-fence` });
    try {
      await sibling.initTransactions(FENCE_TIMEOUT_MS);
    } finally {
      await sibling.disconnect();
    }
  }

  async commitTransaction(timeoutMs: number): Promise<void> {
    await call('transaction.commit', (cb) => this.client.commitTransaction(timeoutMs, cb)).catch((err: unknown) => {
      throw this.refusalOr(err, 'transaction.commit');
    });
  }

  /**
   * A transaction call that fails after a record failed delivery says only that ("records failed
   * delivery", an erroneous state, a timeout while the records behind it wait): the refusal is the
   * reason. A denied write stops the worker; a refused record (too large, invalid) is abortable, and
   * the loop isolates it (runtime/isolation.ts).
   */
  private refusalOr(err: unknown, operation: string): unknown {
    const refused = this.deliveryError;
    if (!refused || !(isRefusal(refused.code) || isRecordRefusal(refused.code))) return err;
    const reason = refused.message.replace(/^delivery: /, '').replace(/( \(code -?\d+\))+$/, '');
    return new KafkaError(isRefusal(refused.code) ? 'fatal' : 'abortable', operation, refused.code, reason);
  }

  abortTransaction(timeoutMs: number): Promise<void> {
    return call('transaction.abort', (cb) => this.client.abortTransaction(timeoutMs, cb));
  }

  async disconnect(timeoutMs = 5_000): Promise<void> {
    if (!this.client.isConnected()) return;
    this.client.setPollInBackground(false);
    // flush (up to timeoutMs) then close: the deadline covers both, with room for the close.
    await closeWithin(this.opts.name, timeoutMs + 5_000, (done) => this.client.disconnect(timeoutMs, done), this.opts.logger);
  }
}
