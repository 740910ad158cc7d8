// A group member in manual-rebalance mode, behaving like src/kafka/consumer.ts over librdkafka:
// rebalance events queue up until the owner completes them, assign/unassign reject partitions
// already (or not) assigned as incremental_assign/unassign do, and consume never blocks.
import { OFFSET_INVALID } from '../../kafka/consumer.ts';
import { KafkaError } from '../../kafka/errors.ts';
import type { GroupConsumerOptions, RebalanceEvent, StepConsumer } from '../../kafka/ports.ts';
import { tpKey, type InboundRecord, type TopicPartition, type TopicPartitionOffset } from '../../kafka/types.ts';
import type { Broker } from './broker.ts';
import type { Group, GroupMember } from './group.ts';
import { byTopicPartition, copyRecord } from './topics.ts';

const UNKNOWN_TOPIC_OR_PART = 3;
const FENCED_INSTANCE_ID = 82;
// librdkafka's logical offsets.
const OFFSET_BEGINNING = -2;
const OFFSET_END = -1;

interface Slot {
  tp: TopicPartition;
  position: number;
  paused: boolean;
}

const names = (tps: readonly TopicPartition[]) => tps.map((p) => `${p.topic} [${p.partition}]`).join(', ');

export class MemoryConsumer implements StepConsumer, GroupMember {
  readonly group: Group;
  private readonly events: RebalanceEvent[] = [];
  private readonly slots = new Map<string, Slot>();
  private topics: readonly string[] = [];
  private state: 'open' | 'fenced' | 'closed' = 'open';
  /** Rotates the partition a consume starts from, so that none starves the others. */
  private turn = 0;

  constructor(
    private readonly broker: Broker,
    readonly opts: GroupConsumerOptions,
  ) {
    this.group = broker.group(opts.groupId);
  }

  get subscription(): readonly string[] {
    return this.topics;
  }

  get groupInstanceId(): string | undefined {
    return this.opts.groupInstanceId;
  }

  belongsTo(broker: Broker): boolean {
    return this.broker === broker;
  }

  queueEvent(event: RebalanceEvent): void {
    this.events.push(event);
  }

  fenceInstance(): void {
    this.state = 'fenced';
  }

  /**
   * Throws what a call fails with now. A fenced member fails every call that would reach the
   * broker; local bookkeeping (completing rebalances, pausing) still works as in librdkafka.
   */
  private enter(operation: string, remote: boolean): void {
    if (this.state === 'closed') throw new KafkaError('fatal', operation, undefined, 'consumer disconnected');
    if (this.state === 'fenced' && remote) {
      throw new KafkaError(
        'fenced',
        operation,
        FENCED_INSTANCE_ID,
        'Broker: Static consumer fenced by other consumer with same group.instance.id',
      );
    }
    const fault = this.broker.faults.take(operation);
    if (fault) throw fault.error;
  }

  subscribe(topics: string[]): void {
    this.enter('subscribe', true);
    this.topics = [...topics];
    this.group.join(this);
  }

  takeRebalanceEvents(): RebalanceEvent[] {
    return this.events.splice(0);
  }

  get hasPendingRebalance(): boolean {
    return this.events.length > 0;
  }

  completeAssign(partitions: Array<TopicPartition | TopicPartitionOffset>): void {
    this.enter('assign', false);
    const already = partitions.filter((p) => this.slots.has(tpKey(p)));
    if (already.length > 0) throw new KafkaError('fatal', 'assign', undefined, `${names(already)} already part of the current assignment`);
    for (const p of partitions)
      this.slots.set(tpKey(p), { tp: { topic: p.topic, partition: p.partition }, position: this.startOf(p), paused: false });
  }

  /** An explicit offset, else the group's committed offset, else the beginning (auto.offset.reset=earliest). */
  private startOf(p: TopicPartition | TopicPartitionOffset): number {
    const offset = 'offset' in p ? p.offset : OFFSET_INVALID;
    if (offset >= 0) return offset;
    if (offset === OFFSET_BEGINNING) return 0;
    if (offset === OFFSET_END) return this.broker.topics.end(p);
    return this.group.committed(p) ?? 0;
  }

  completeRevoke(partitions: TopicPartition[]): void {
    this.enter('unassign', false);
    const missing = partitions.filter((p) => !this.slots.has(tpKey(p)));
    if (missing.length > 0)
      throw new KafkaError('fatal', 'unassign', undefined, `${names(missing)} can't be unassigned since not in the current assignment`);
    for (const p of partitions) this.slots.delete(tpKey(p));
    this.group.released(this, partitions);
  }

  /** What is there now, up to `max`, one record per partition in turn; never waits. */
  async consume(max: number, _timeoutMs: number): Promise<InboundRecord[]> {
    this.enter('consume', true);
    const missing = this.topics.find((t) => !this.broker.topics.has(t));
    if (missing !== undefined) {
      throw new KafkaError(
        'fatal',
        'consume',
        UNKNOWN_TOPIC_OR_PART,
        `Subscribed topic not available: ${missing}: Broker: Unknown topic or partition`,
      );
    }
    const active = [...this.slots.values()].filter((s) => !s.paused);
    if (active.length === 0) return [];
    const start = this.turn++ % active.length;
    const order = [...active.slice(start), ...active.slice(0, start)];
    const out: InboundRecord[] = [];
    for (let progressed = true; progressed && out.length < max; ) {
      progressed = false;
      for (const slot of order) {
        const record = out.length < max ? this.broker.topics.at(slot.tp, slot.position) : undefined;
        if (!record) continue;
        out.push(copyRecord(record));
        slot.position++;
        progressed = true;
      }
    }
    return out;
  }

  pause(partitions: TopicPartition[]): void {
    this.enter('pause', false);
    for (const p of partitions) {
      const slot = this.slots.get(tpKey(p));
      if (slot) slot.paused = true;
    }
  }

  resume(partitions: TopicPartition[]): void {
    this.enter('resume', false);
    for (const p of partitions) {
      const slot = this.slots.get(tpKey(p));
      if (slot) slot.paused = false;
    }
  }

  async seek(tpo: TopicPartitionOffset): Promise<void> {
    this.enter('seek', true);
    const slot = this.slots.get(tpKey(tpo));
    if (!slot) throw new KafkaError('fatal', 'seek', undefined, `Local: Unknown partition: ${names([tpo])} is not assigned`);
    slot.position = tpo.offset === OFFSET_BEGINNING ? 0 : tpo.offset === OFFSET_END ? this.broker.topics.end(tpo) : tpo.offset;
  }

  async committed(partitions: TopicPartition[], _timeoutMs?: number): Promise<TopicPartitionOffset[]> {
    this.enter('committed', true);
    return partitions.map(({ topic, partition }) => ({
      topic,
      partition,
      offset: this.group.committed({ topic, partition }) ?? OFFSET_INVALID,
    }));
  }

  /** Best effort like the real one, whose errors only reach the logs: fencing or an injected 'commit' failure drops it. */
  commitAsync(offsets: TopicPartitionOffset[]): void {
    this.enter('commitAsync', false);
    if (this.state === 'fenced' || this.broker.faults.take('commit')) return;
    this.group.commit(offsets);
  }

  commitSync(offsets: TopicPartitionOffset[]): void {
    this.enter('commit', true);
    this.group.commit(offsets);
  }

  positions(partitions: TopicPartition[]): Array<TopicPartitionOffset & { high: number }> {
    return partitions.map(({ topic, partition }) => {
      const slot = this.slots.get(tpKey({ topic, partition }));
      if (!slot) return { topic, partition, offset: OFFSET_INVALID, high: -1 };
      return { topic, partition, offset: slot.position, high: this.broker.topics.end(slot.tp) };
    });
  }

  assignment(): TopicPartition[] {
    return [...this.slots.values()].map((s) => ({ ...s.tp })).sort(byTopicPartition);
  }

  async disconnect(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.slots.clear();
    this.events.length = 0;
    this.group.leave(this);
  }
}
