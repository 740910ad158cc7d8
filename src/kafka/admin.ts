// Admin helpers: topics, offsets (earliest / latest / last stable / by time), groups.
import RdKafka from '@confluentinc/kafka-javascript';
import { baseConfig, type KafkaConnection } from './client-config.ts';
import { KAFKA_CODES, KafkaError, toKafkaError } from './errors.ts';
import { tpKey, type IsolationLevel, type TopicPartition, type TopicPartitionOffset } from './types.ts';

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor?: number;
  config?: Record<string, string>;
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  partitions: TopicPartition[];
}

export interface GroupInfo {
  groupId: string;
  state: 'unknown' | 'preparing-rebalance' | 'completing-rebalance' | 'stable' | 'dead' | 'empty';
  members: GroupMember[];
}

const GROUP_STATES: GroupInfo['state'][] = ['unknown', 'preparing-rebalance', 'completing-rebalance', 'stable', 'dead', 'empty'];

const UNREACHABLE = new Set<number>([KAFKA_CODES.transport, KAFKA_CODES.timedOut, KAFKA_CODES.allBrokersDown]);

/** Where to read offsets from: a point of the log, or the first offset at/after a timestamp. */
export type OffsetQuery = 'earliest' | 'latest' | { timestamp: number };

function promised<T>(operation: string, fn: (cb: (err: unknown, result: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, result) => (err ? reject(toKafkaError(err, operation)) : resolve(result))));
}

export class KafkaAdmin {
  private inFlight = 0;
  private disconnectWhenIdle = false;
  /** Rejected when the cluster refuses our credentials: calls fail with that, not a timeout. */
  private readonly authFailure: Promise<never>;
  private failed = false;

  private constructor(
    private readonly client: RdKafka.IAdminClient,
    private readonly bootstrapServers: string,
    private readonly timeoutMs: number,
    onAuthError: (listener: (err: Error) => void) => void,
  ) {
    this.authFailure = new Promise<never>((_, reject) =>
      onAuthError((err) => {
        this.failed = true;
        reject(err);
      }),
    );
    this.authFailure.catch(() => undefined);
  }

  static create(conn: KafkaConnection, timeoutMs = conn.timeoutMs ?? 15_000): KafkaAdmin {
    const config = { ...baseConfig(conn, 'admin') } as Record<string, unknown>;
    let report: (err: Error) => void = () => undefined;
    let reason: string | undefined;
    const client = RdKafka.AdminClient.create(
      config as RdKafka.GlobalConfig,
      {
        // librdkafka's log line has the broker's reason; the error event only says that auth failed.
        'event.log': (e: { severity: number; message: string }) => {
          const m = /(SASL authentication error: .*|SSL handshake failed.*)$/.exec(e.message);
          if (e.severity <= 3 && m) reason = m[1];
        },
        'event.error': (err: { code?: number; message?: string }) => {
          if (err.code === RdKafka.CODES.ERRORS.ERR__AUTHENTICATION || /authentication failure/i.test(err.message ?? '')) {
            report(new KafkaError('fatal', 'authentication', err.code, reason ?? err.message ?? 'authentication failed'));
          }
        },
      } as never,
    );
    return new KafkaAdmin(client, conn.bootstrapServers, timeoutMs, (listener) => (report = listener));
  }

  private call<T>(operation: string, fn: (cb: (err: unknown, result: T) => void) => void): Promise<T> {
    const request = promised(operation, fn);
    this.inFlight++;
    const settled = () => {
      if (--this.inFlight > 0 || !this.disconnectWhenIdle) return;
      this.disconnectWhenIdle = false;
      this.client.disconnect();
    };
    request.then(settled, settled);
    return Promise.race([request, this.authFailure]).catch((err: unknown) => {
      // librdkafka says "Broker transport failure" or "Timed out" without saying where it looked.
      if (err instanceof KafkaError && UNREACHABLE.has(err.code ?? 0))
        throw new KafkaError(
          err.kind,
          operation,
          err.code,
          `${err.message.replace(`${operation}: `, '').replace(/ \(code -?\d+\)$/, '')}: no answer from ${this.bootstrapServers} (KAFKA_BOOTSTRAP_SERVERS) within ${this.timeoutMs} ms`,
        );
      throw err;
    });
  }

  /** Creates the topics that do not exist yet; returns the names it created. */
  async createTopics(specs: TopicSpec[]): Promise<string[]> {
    const created: string[] = [];
    for (const spec of specs) {
      try {
        await this.call<void>('admin.createTopic', (cb) =>
          this.client.createTopic(
            {
              topic: spec.name,
              num_partitions: spec.partitions,
              replication_factor: spec.replicationFactor ?? -1,
              config: spec.config ?? {},
            },
            this.timeoutMs,
            (err) => cb(err, undefined),
          ),
        );
        created.push(spec.name);
      } catch (err) {
        if (!(err instanceof KafkaError && err.code === KAFKA_CODES.topicAlreadyExists)) throw err;
      }
    }
    return created;
  }

  async deleteTopics(names: string[]): Promise<void> {
    for (const name of names) {
      try {
        await this.call<void>('admin.deleteTopic', (cb) => this.client.deleteTopic(name, this.timeoutMs, (err) => cb(err, undefined)));
      } catch (err) {
        if (!(err instanceof KafkaError && err.code === KAFKA_CODES.unknownTopic)) throw err;
      }
    }
  }

  listTopics(): Promise<string[]> {
    return this.call('admin.listTopics', (cb) => this.client.listTopics({ timeout: this.timeoutMs }, cb));
  }

  /** Partition count per existing topic; topics that do not exist are absent from the map. */
  async partitionCounts(names: string[]): Promise<Map<string, number>> {
    const existing = new Set(await this.listTopics());
    const wanted = names.filter((n) => existing.has(n));
    const out = new Map<string, number>();
    if (wanted.length === 0) return out;
    const described = await this.call<RdKafka.TopicDescription[]>('admin.describeTopics', (cb) =>
      this.client.describeTopics(wanted, { timeout: this.timeoutMs }, cb),
    );
    for (const d of described) if (!d.error) out.set(d.name, d.partitions.length);
    return out;
  }

  /** Each partition's leader and in-sync replicas (broker ids; leader -1 when it has none). */
  async replicas(topics: string[]): Promise<Array<TopicPartition & { leader: number; isr: number[] }>> {
    const described = await this.call<RdKafka.TopicDescription[]>('admin.describeTopics', (cb) =>
      this.client.describeTopics(topics, { timeout: this.timeoutMs }, cb),
    );
    return described.flatMap((d) => {
      if (d.error) throw toKafkaError(d.error, 'admin.describeTopics');
      return d.partitions.map((p) => ({ topic: d.name, partition: p.partition, leader: p.leader?.id ?? -1, isr: p.isr.map((n) => n.id) }));
    });
  }

  async createPartitions(topic: string, total: number): Promise<void> {
    await this.call<void>('admin.createPartitions', (cb) =>
      this.client.createPartitions(topic, total, this.timeoutMs, (err) => cb(err, undefined)),
    );
  }

  /**
   * Offsets of each partition. `latest` with read_committed is the last stable offset (LSO): the
   * end a transactional consumer can reach, unlike the high watermark which counts commit markers
   * and open transactions.
   */
  async offsets(
    partitions: TopicPartition[],
    query: OffsetQuery,
    isolation: IsolationLevel = 'read_committed',
  ): Promise<TopicPartitionOffset[]> {
    if (partitions.length === 0) return [];
    const spec =
      query === 'earliest'
        ? RdKafka.OffsetSpec.EARLIEST
        : query === 'latest'
          ? RdKafka.OffsetSpec.LATEST
          : new RdKafka.OffsetSpec(query.timestamp);
    const result = await this.call<RdKafka.ListOffsetsResult[]>('admin.listOffsets', (cb) =>
      this.client.listOffsets(
        partitions.map(({ topic, partition }) => ({ topic, partition, offset: spec })),
        {
          timeout: this.timeoutMs,
          isolationLevel: isolation === 'read_committed' ? RdKafka.IsolationLevel.READ_COMMITTED : RdKafka.IsolationLevel.READ_UNCOMMITTED,
        },
        cb,
      ),
    );
    for (const r of result) if (r.error) throw toKafkaError(r.error, 'admin.listOffsets');
    return result.map(({ topic, partition, offset }) => ({ topic, partition, offset }));
  }

  /**
   * Resolves once every transaction open on these partitions right now has ended: the last stable
   * offset reached the high watermark read at the start. A read_committed reader stops at the LSO,
   * so reading "to the end" before this can miss a transaction that commits a moment later.
   */
  async untilStable(partitions: TopicPartition[], timeoutMs: number): Promise<void> {
    const ends = await this.offsets(partitions, 'latest', 'read_uncommitted');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stable = new Map((await this.offsets(partitions, 'latest', 'read_committed')).map((o) => [tpKey(o), o.offset]));
      const open = ends.filter((e) => (stable.get(tpKey(e)) ?? -1) < e.offset);
      if (open.length === 0) return;
      if (Date.now() > deadline) {
        const names = open.map((o) => `${o.topic}/${o.partition}`).join(', ');
        throw new KafkaError(
          'retriable',
          'admin.untilStable',
          undefined,
          `${names}: a transaction is still open after ${Math.round(timeoutMs / 1000)} s`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** All partitions of the given topics. */
  async partitionsOf(topics: string[]): Promise<TopicPartition[]> {
    const counts = await this.partitionCounts(topics);
    const out: TopicPartition[] = [];
    for (const t of topics) for (let p = 0; p < (counts.get(t) ?? 0); p++) out.push({ topic: t, partition: p });
    return out;
  }

  /** Committed offsets of a group (stable offsets only: pending transactional commits wait). */
  async groupOffsets(groupId: string, partitions?: TopicPartition[]): Promise<TopicPartitionOffset[]> {
    const result = await this.call<RdKafka.GroupResults[]>('admin.listConsumerGroupOffsets', (cb) =>
      this.client.listConsumerGroupOffsets(
        [partitions ? { groupId, partitions } : { groupId }],
        { timeout: this.timeoutMs, requireStableOffsets: true },
        cb,
      ),
    );
    const group = result[0];
    if (!group) return [];
    if (group.error) throw toKafkaError(group.error, 'admin.listConsumerGroupOffsets');
    return group.partitions.map(({ topic, partition, offset }) => ({ topic, partition, offset }));
  }

  async describeGroup(groupId: string): Promise<GroupInfo> {
    const result = await this.call<RdKafka.GroupDescriptions>('admin.describeGroups', (cb) =>
      this.client.describeGroups([groupId], { timeout: this.timeoutMs }, cb),
    );
    const g = result.groups[0];
    if (!g) return { groupId, state: 'dead', members: [] };
    if (g.error && g.error.code !== KAFKA_CODES.groupIdNotFound) throw toKafkaError(g.error, 'admin.describeGroups');
    return {
      groupId,
      state: GROUP_STATES[g.state] ?? 'unknown',
      members: g.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        host: m.clientHost,
        partitions: m.assignment?.topicPartitions?.map(({ topic, partition }) => ({ topic, partition })) ?? [],
      })),
    };
  }

  async deleteGroups(groupIds: string[]): Promise<void> {
    if (groupIds.length === 0) return;
    await this.call('admin.deleteGroups', (cb) => this.client.deleteGroups(groupIds, { timeout: this.timeoutMs }, cb));
  }

  /**
   * The native disconnect runs on the main thread and blocks until the client's requests end: with
   * one in flight (a lag report fired and forgotten, a broker just restarted) it stalled a stopping
   * `weir run` past its grace period. So it waits until the last request has settled (each has
   * its timeout). After an authentication failure it is skipped: the abandoned request would hold
   * it until it times out, and the useless client goes with the process.
   */
  disconnect(): void {
    if (this.failed) return;
    if (this.inFlight === 0) this.client.disconnect();
    else this.disconnectWhenIdle = true;
  }
}
