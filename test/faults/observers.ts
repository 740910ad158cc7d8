// What runs beside the workers during a scenario: the feed (a paced, idempotent producer that
// outlives broker outages), a concurrent read_committed reader of the output, and a poller of the
// sink table. Each keeps a timeline, from which recovery after each fault is measured.
import pg from 'pg';
import type { KafkaConnection } from '../../src/kafka/client-config.ts';
import { KafkaConsumer } from '../../src/kafka/consumer.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { KafkaProducer } from '../../src/kafka/producer.ts';
import type { OutboundRecord, TopicPartition } from '../../src/kafka/types.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Produces `records` evenly over `durationMs`; every record is acknowledged before it resolves. */
export async function feed(
  conn: KafkaConnection,
  records: OutboundRecord[],
  durationMs: number,
  onProgress: (n: number) => void,
): Promise<void> {
  // No message timeout: records wait in the producer through broker outages instead of failing.
  const producer = await KafkaProducer.connect(conn, { name: 'fault-feed', extra: { 'message.timeout.ms': 0 } });
  try {
    const chunks = Math.max(1, Math.round(durationMs / 250));
    const size = Math.ceil(records.length / chunks);
    const t0 = Date.now();
    for (let i = 0, c = 0; i < records.length; i += size, c++) {
      await producer.sendAll(records.slice(i, i + size));
      onProgress(Math.min(records.length, i + size));
      await sleep(Math.max(0, t0 + (c + 1) * 250 - Date.now()));
    }
    for (;;) {
      try {
        await producer.flush(10_000);
        return;
      } catch (err) {
        if (!/timed out|timeout/i.test((err as Error).message)) throw err;
      }
      // After a broker kill an idempotent producer can keep waiting for acknowledgements of records
      // the log already holds (seen: every record in the topic, the feed still flushing after 10
      // min). The log is what counts: once it holds them all, the feed is done.
      if ((await recordsInLog(conn, records)) >= records.length) return;
    }
  } finally {
    await producer.disconnect();
  }
}

/** Records the log holds on the partitions `records` went to (end offsets; the topics are fresh and the feed their only writer). */
async function recordsInLog(conn: KafkaConnection, records: OutboundRecord[]): Promise<number> {
  const admin = KafkaAdmin.create(conn);
  try {
    const topics = [...new Set(records.map((r) => r.topic))];
    const ends = await admin.offsets(await admin.partitionsOf(topics), 'latest', 'read_uncommitted');
    return ends.reduce((n, e) => n + e.offset, 0);
  } catch {
    return 0; // the broker is not back yet: keep flushing
  } finally {
    admin.disconnect();
  }
}

export interface Arrival {
  key: string;
  at: number;
}

/** Reads topics with `read_committed` from the beginning for as long as the scenario runs. */
export class CommittedReader {
  readonly arrivals: Arrival[] = [];
  private readonly seen = new Map<string, number>();
  private running = true;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly conn: KafkaConnection,
    private readonly partitions: TopicPartition[],
    private readonly identify: (values: Array<Buffer | null>) => Promise<string[]>,
  ) {}

  async start(): Promise<void> {
    const consumer = await KafkaConsumer.connect(this.conn, {
      name: 'fault-observer',
      groupId: `fault-observer-${process.pid}-${Date.now()}`,
      isolation: 'read_committed',
    });
    consumer.assign(this.partitions.map((p) => ({ ...p, offset: -2 })));
    this.loop = (async () => {
      try {
        while (this.running) {
          const batch = await consumer.consume(1_000, 200).catch(() => []);
          const at = Date.now();
          const keys = await this.identify(batch.map((r) => r.value));
          for (const key of keys) {
            this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
            this.arrivals.push({ key, at });
          }
        }
      } finally {
        await consumer.disconnect();
      }
    })();
  }

  get count(): number {
    return this.seen.size;
  }

  duplicates(): string[] {
    return [...this.seen].filter(([, n]) => n > 1).map(([k]) => k);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** Counts the sink table's rows every half second, tolerating a Postgres that is down. */
export class RowPoller {
  readonly samples: Array<{ at: number; rows: number }> = [];
  private running = true;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly table: string,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (this.running) {
        const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1_000 });
        // Postgres restarts under it (the postgres scenario): the error is the query's, not the process's.
        client.on('error', () => undefined);
        try {
          await client.connect();
          const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table}`);
          this.samples.push({ at: Date.now(), rows: Number(rows[0]!.n) });
        } catch {
          /* Postgres down: no sample */
        } finally {
          await client.end().catch(() => undefined);
        }
        await sleep(500);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** Milliseconds from `healedAt` to the first progress after it (`undefined`: none seen). */
export function recoveryMs(times: number[], healedAt: number): number | undefined {
  const next = times.find((t) => t > healedAt);
  return next === undefined ? undefined : next - healedAt;
}
