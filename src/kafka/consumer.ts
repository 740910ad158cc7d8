// Consumer wrapper. Rebalances are surfaced as events; in manual mode the owner completes each one
// (after finishing or aborting its in-flight transaction), which librdkafka allows because the
// group waits for the assign/unassign call.
import RdKafka from '@confluentinc/kafka-javascript';
import type { Logger } from '../observability/logger.ts';
import { baseConfig, forwardClientLogs, type KafkaConnection } from './client-config.ts';
import { closeWithin } from './close.ts';
import { KAFKA_CODES, KafkaError, toKafkaError } from './errors.ts';
import type { StepConsumer } from './ports.ts';
import {
  NO_HEADERS,
  type Header,
  type InboundRecord,
  type IsolationLevel,
  type TopicPartition,
  type TopicPartitionOffset,
} from './types.ts';

export interface RebalanceEvent {
  kind: 'assign' | 'revoke';
  partitions: TopicPartition[];
  /** Revocation because the membership was lost (session timeout): nothing may be committed. */
  lost: boolean;
}

export interface ConsumerOptions {
  name: string;
  groupId: string;
  isolation?: IsolationLevel;
  autoOffsetReset?: 'earliest' | 'latest' | 'error';
  /** Manual: events queue up until the owner calls completeAssign/completeRevoke. */
  manualRebalance?: boolean;
  onRebalance?: (event: RebalanceEvent) => void;
  sessionTimeoutMs?: number;
  maxPollIntervalMs?: number;
  partitionEof?: boolean;
  logger?: Logger;
  extra?: Record<string, string | number | boolean>;
}

/** How long after an "unknown topic" poll error the consumer looks again before calling it missing. */
const UNKNOWN_TOPIC_RECHECK_MS = 3_000;

/** The broker's message without the operation prefix and code suffix weir's errors add. */
const bare = (e: KafkaError) => e.message.replace(/^consume: /, '').replace(/ \(code -?\d+\)$/, '');

/** Offset value librdkafka uses for "no committed offset". */
export const OFFSET_INVALID = -1001;

type RawMessage = RdKafka.Message;

/** Methods the binding has but its typings omit. */
interface CooperativeConsumer {
  assignmentLost(): boolean;
  incrementalAssign(partitions: Array<TopicPartition | TopicPartitionOffset>): void;
  incrementalUnassign(partitions: TopicPartition[]): void;
}
const cooperative = (c: RdKafka.KafkaConsumer) => c as unknown as CooperativeConsumer;

function toHeaders(raw: RawMessage['headers']): Header[] {
  if (!raw || raw.length === 0) return NO_HEADERS;
  const out: Header[] = [];
  for (const h of raw) {
    for (const [key, v] of Object.entries(h)) out.push({ key, value: Buffer.isBuffer(v) ? v : Buffer.from(v) });
  }
  return out;
}

export function toInbound(m: RawMessage): InboundRecord {
  const key = m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    key,
    value: m.value,
    headers: toHeaders(m.headers),
    timestamp: m.timestamp ?? 0,
    size: m.size + (key?.length ?? 0),
  };
}

export class KafkaConsumer implements StepConsumer {
  private readonly pendingEvents: RebalanceEvent[] = [];
  /** Once closing, rebalances complete immediately (nobody is left to complete them), and may fail. */
  private closing = false;
  /** The group answered at least once (a rebalance callback came): the member has joined. */
  private joined = false;
  private readonly eofListeners = new Set<(tp: TopicPartitionOffset) => void>();
  private subscription: string[] = [];

  private constructor(
    readonly native: RdKafka.KafkaConsumer,
    private readonly opts: ConsumerOptions,
  ) {
    native.on('partition.eof', (e) => {
      for (const l of this.eofListeners) l({ topic: e.topic, partition: e.partition, offset: e.offset });
    });
  }

  static async connect(conn: KafkaConnection, opts: ConsumerOptions): Promise<KafkaConsumer> {
    // The rebalance callback is configured before the wrapper exists; it finds it through here.
    const holder: { self?: KafkaConsumer } = {};
    const config: Record<string, unknown> = {
      ...baseConfig(conn, opts.name),
      'group.id': opts.groupId,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'isolation.level': opts.isolation ?? 'read_committed',
      'partition.assignment.strategy': 'cooperative-sticky',
      'session.timeout.ms': opts.sessionTimeoutMs ?? 45_000,
      'max.poll.interval.ms': opts.maxPollIntervalMs ?? 300_000,
      'enable.partition.eof': opts.partitionEof ?? false,
      rebalance_cb: (err: { code: number }, assignment: RdKafka.TopicPartition[]) => holder.self?.onRebalance(err, assignment),
      ...(opts.extra ?? {}),
    };
    // auto.offset.reset is a topic-level property: in the global config the (empty) topic config
    // would silently override it with librdkafka's default, `latest`.
    const native = new RdKafka.KafkaConsumer(config as RdKafka.ConsumerGlobalConfig, {
      'auto.offset.reset': opts.autoOffsetReset ?? 'earliest',
    });
    forwardClientLogs(native, opts.logger);
    await new Promise<void>((resolve, reject) =>
      native.connect({}, (err) => (err ? reject(toKafkaError(err, 'consumer.connect')) : resolve())),
    );
    // consume(n, timeout) waits up to `timeout` for the first record only, then takes what is there.
    (native as unknown as { setDefaultIsTimeoutOnlyForFirstMessage(v: boolean): void }).setDefaultIsTimeoutOnlyForFirstMessage(true);
    holder.self = new KafkaConsumer(native, opts);
    return holder.self;
  }

  private onRebalance(err: { code: number }, assignment: RdKafka.TopicPartition[]): void {
    const partitions = assignment.map((a) => ({ topic: a.topic, partition: a.partition }));
    const kind = err.code === KAFKA_CODES.assignPartitions ? 'assign' : 'revoke';
    this.joined = true;
    const lost = kind === 'revoke' && cooperative(this.native).assignmentLost();
    const event: RebalanceEvent = { kind, partitions, lost };
    if (this.closing) {
      // A rebalance during close (another member left meanwhile) may find the binding already
      // disconnected; completing it would throw from a native callback and crash the process
      // mid-shutdown (found by the two-process rate-limit test). Nothing is consumed any more.
      try {
        if (kind === 'assign') this.completeAssign(partitions);
        else this.completeRevoke(partitions);
      } catch {
        /* closing: the group's next generation takes the partitions over */
      }
      if (kind === 'revoke') this.opts.onRebalance?.(event);
      return;
    }
    if (this.opts.manualRebalance) this.pendingEvents.push(event);
    else if (kind === 'assign') this.completeAssign(partitions);
    else this.completeRevoke(partitions);
    this.opts.onRebalance?.(event);
  }

  /** Rebalance events not yet completed by the owner (manual mode), oldest first. */
  takeRebalanceEvents(): RebalanceEvent[] {
    return this.pendingEvents.splice(0);
  }

  get hasPendingRebalance(): boolean {
    return this.pendingEvents.length > 0;
  }

  /** Adds partitions; an entry with an offset starts there instead of the committed offset. */
  completeAssign(partitions: Array<TopicPartition | TopicPartitionOffset>): void {
    cooperative(this.native).incrementalAssign(partitions);
  }

  completeRevoke(partitions: TopicPartition[]): void {
    cooperative(this.native).incrementalUnassign(partitions);
  }

  subscribe(topics: string[]): void {
    this.subscription = topics;
    this.native.subscribe(topics);
  }

  /** Static assignment without group membership (tools and readers). */
  assign(partitions: TopicPartitionOffset[]): void {
    this.native.assign(partitions);
  }

  onPartitionEof(listener: (tp: TopicPartitionOffset) => void): () => void {
    this.eofListeners.add(listener);
    return () => this.eofListeners.delete(listener);
  }

  /** Up to `max` records; returns early once some arrived, or empty after `timeoutMs`. */
  consume(max: number, timeoutMs: number): Promise<InboundRecord[]> {
    this.native.setDefaultConsumeTimeout(timeoutMs);
    return new Promise<InboundRecord[]>((resolve, reject) =>
      this.native.consume(max, (err, messages) => (err ? reject(toKafkaError(err, 'consume')) : resolve(messages.map(toInbound)))),
    ).catch((err: KafkaError) => this.explain(err));
  }

  /**
   * Poll errors name neither topic nor group: say which. An unknown topic is reported once, and a
   * topic created just before (a race seen right after CreateTopics) would only be noticed at the
   * next metadata refresh, minutes later. So look again after a moment with a metadata request of
   * our own — which also makes the client see a topic that exists by then.
   */
  private async explain(err: KafkaError): Promise<never> {
    const subscribed = this.subscription.join(', ');
    if (err.code === KAFKA_CODES.unknownTopic && subscribed) {
      await new Promise((r) => setTimeout(r, UNKNOWN_TOPIC_RECHECK_MS));
      const missing = await this.missingTopics().catch(() => this.subscription);
      if (missing.length === 0)
        throw new KafkaError('retriable', 'consume', err.code, `${subscribed} was unknown a moment ago and exists now`);
      throw new KafkaError(
        'fatal',
        'consume',
        err.code,
        `topic ${missing.join(', ')} does not exist (Broker: Unknown topic or partition); \`weir deploy\` creates the topology's topics`,
      );
    }
    if (err.code === KAFKA_CODES.topicAuthorization && subscribed)
      throw new KafkaError(err.kind, 'consume', err.code, `reading ${subscribed}: ${bare(err)}`);
    if (err.code === KAFKA_CODES.groupAuthorization)
      throw new KafkaError(err.kind, 'consume', err.code, `group ${this.opts.groupId}: ${bare(err)}`);
    throw err;
  }

  private missingTopics(): Promise<string[]> {
    return new Promise((resolve, reject) =>
      this.native.getMetadata({ allTopics: false, timeout: 5_000, topic: this.subscription[0]! }, (err, md) => {
        if (err) return reject(err);
        const known = new Set(md.topics.filter((t) => t.partitions.length > 0).map((t) => t.name));
        resolve(this.subscription.filter((t) => !known.has(t)));
      }),
    );
  }

  pause(partitions: TopicPartition[]): void {
    if (partitions.length > 0) this.native.pause(partitions);
  }

  resume(partitions: TopicPartition[]): void {
    if (partitions.length > 0) this.native.resume(partitions);
  }

  seek(tpo: TopicPartitionOffset, timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) =>
      this.native.seek(tpo, timeoutMs, (err) => (err ? reject(toKafkaError(err, 'seek')) : resolve())),
    );
  }

  /** Committed offsets (next to read) of the group; OFFSET_INVALID where none. */
  committed(partitions: TopicPartition[], timeoutMs = 10_000): Promise<TopicPartitionOffset[]> {
    return new Promise((resolve, reject) =>
      this.native.committed(partitions, timeoutMs, (err, tps) =>
        err ? reject(toKafkaError(err, 'committed')) : resolve(tps.map(({ topic, partition, offset }) => ({ topic, partition, offset }))),
      ),
    );
  }

  /** Asynchronous offset commit, best effort (e.g. only so that lag tools see progress). */
  commitAsync(offsets: TopicPartitionOffset[]): void {
    if (offsets.length > 0) this.native.commit(offsets);
  }

  /**
   * Synchronous offset commit outside any transaction (tools, at-least-once modes). A commit that
   * races a rebalance fails with the group's new generation; as a KafkaError it is abortable (the
   * batch is redone by whoever owns the partitions now), where the binding's raw error would have
   * read as a bug and stopped the worker (seen in the at-least-once fault run).
   */
  commitSync(offsets: TopicPartitionOffset[]): void {
    if (offsets.length === 0) return;
    try {
      this.native.commitSync(offsets);
    } catch (err) {
      throw toKafkaError(err, 'commit');
    }
  }

  /** Local view (no broker call): next position and the high watermark last seen by the fetcher. */
  positions(partitions: TopicPartition[]): Array<TopicPartitionOffset & { high: number }> {
    if (partitions.length === 0) return [];
    return this.native.position(partitions).map((p) => {
      let high = -1;
      try {
        high = this.native.getWatermarkOffsets(p.topic, p.partition).highOffset;
      } catch {
        /* not fetched yet */
      }
      return { topic: p.topic, partition: p.partition, offset: p.offset, high };
    });
  }

  assignment(): TopicPartition[] {
    return this.native.assignments().map(({ topic, partition }) => ({ topic, partition }));
  }

  async disconnect(timeoutMs = 10_000): Promise<void> {
    this.closing = true;
    for (const e of this.pendingEvents.splice(0)) {
      if (e.kind === 'revoke') this.completeRevoke(e.partitions);
    }
    if (!this.native.isConnected()) return;
    // A member still joining has nothing to commit or hand over, and librdkafka's close can then
    // wait forever on the libuv thread pool — where it blocks even process.exit(), which joins
    // those threads (seen: a worker SIGTERMed while a step was joining never exited). Its session
    // simply ends.
    if (!this.joined && this.opts.manualRebalance) return;
    await closeWithin(
      `${this.opts.name} (group ${this.opts.groupId})`,
      timeoutMs,
      (done) => this.native.disconnect(done),
      this.opts.logger,
    );
  }
}
