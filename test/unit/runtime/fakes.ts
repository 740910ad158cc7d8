// Fakes of the worker-core tests: clients that count what the worker makes (and can hold commits),
// a registry with outages, and a transactional sink in memory.
import type { KafkaClients, StepConsumer, StepProducer } from '../../../src/kafka/ports.ts';
import type { TopicPartition, TopicPartitionOffset } from '../../../src/kafka/types.ts';
import type { SchemaSource } from '../../../src/schema/serde.ts';
import type { Claim, SinkRecord, SinkTransaction, TransactionalSink } from '../../../src/sinks/sink.ts';
import type { MemoryRegistry } from '../../../src/testing/memory/registry.ts';

/** Counts the clients a worker creates and which of them it disconnected (same objects: the memory producer checks its consumer's class). */
export function countingClients(inner: KafkaClients) {
  const made = { consumers: [] as StepConsumer[], producers: [] as StepProducer[] };
  const closed = new Set<object>();
  const track = <T extends { disconnect(): Promise<void> }>(client: T): T => {
    const disconnect = client.disconnect.bind(client);
    client.disconnect = async () => {
      closed.add(client);
      await disconnect();
    };
    return client;
  };
  // While held, commitTransaction waits: the transaction stays in flight at the broker too.
  let held: { until: Promise<void>; release: () => void } | undefined;
  const commits = {
    hold() {
      let release = () => {};
      const until = new Promise<void>((resolve) => (release = resolve));
      held = { until, release };
    },
    release() {
      const h = held;
      held = undefined;
      h?.release();
    },
  };
  const clients: KafkaClients = {
    ...inner,
    consumer: async (opts) => {
      const c = track(await inner.consumer(opts));
      made.consumers.push(c);
      return c;
    },
    producer: async (opts) => {
      const p = track(await inner.producer(opts));
      const commit = p.commitTransaction.bind(p);
      p.commitTransaction = async (ms) => {
        if (held) await held.until;
        await commit(ms);
      };
      made.producers.push(p);
      return p;
    },
  };
  const open = () => [...made.consumers, ...made.producers].filter((c) => !closed.has(c)).length;
  return { clients, made, open, commits };
}

/** A registry whose schemaById rejects with `failure()` whenever `down(id)` says so (an outage), else answers. */
export function flakyRegistry(
  registry: MemoryRegistry,
  down: (id: number) => boolean,
  failure: () => Error,
): SchemaSource & { calls: number[] } {
  const source = {
    calls: [] as number[],
    async schemaById(id: number) {
      source.calls.push(id);
      if (down(id)) throw failure();
      return registry.schemaById(id);
    },
    lookup: (subject: string, text: string) => registry.lookup(subject, text),
  };
  return source;
}

/** Down for the first `n` calls. */
export const firstCalls = (n: number) => () => n-- > 0;

/** A transactional sink in memory: rows and next offsets stored together at commit; failures queued per call. */
export class FakeSink implements TransactionalSink {
  readonly name = 'fake';
  readonly rows: SinkRecord[] = [];
  /** Next offset per "topic/partition", as committed with the rows. */
  readonly offsets = new Map<string, number>();
  readonly failBegin: Error[] = [];
  readonly failClaim: Error[] = [];
  readonly failCommit: Error[] = [];
  /** Commits that take effect and then fail (their answer lost). */
  readonly loseCommitAnswer: Error[] = [];
  readonly failPositions: Error[] = [];
  begun = 0;
  rolledBack = 0;

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  release(): void {}

  async claim(partitions: TopicPartition[]): Promise<Claim[]> {
    const failure = this.failClaim.shift();
    if (failure) throw failure;
    return partitions.map((tp) => ({ ...tp, next: this.offsets.get(`${tp.topic}/${tp.partition}`) ?? null }));
  }

  async positions(partitions: TopicPartition[]): Promise<Claim[]> {
    const failure = this.failPositions.shift();
    if (failure) throw failure;
    return partitions.map((tp) => ({ ...tp, next: this.offsets.get(`${tp.topic}/${tp.partition}`) ?? null }));
  }

  async begin(records: SinkRecord[], offsets: TopicPartitionOffset[]): Promise<SinkTransaction> {
    this.begun++;
    const failure = this.failBegin.shift();
    if (failure) throw failure;
    return {
      rejected: new Map(),
      commit: async () => {
        const f = this.failCommit.shift();
        if (f) throw f;
        this.rows.push(...records);
        for (const o of offsets) this.offsets.set(`${o.topic}/${o.partition}`, o.offset);
        const lost = this.loseCommitAnswer.shift();
        if (lost) throw lost;
      },
      rollback: async () => void this.rolledBack++,
    };
  }
}
