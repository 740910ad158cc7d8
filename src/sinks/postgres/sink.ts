// The Postgres sink: rows (and the deletes of tombstones) and offsets in one database transaction
// (exactly-once effect). Offsets in
// Postgres are the truth: assignments start from them; Kafka's committed offsets are updated after
// each batch only so that lag tools read true numbers.
import pg from 'pg';
import type { TopicPartition } from '../../kafka/types.ts';
import { rootLogger, type Logger } from '../../observability/logger.ts';
import type { PlannedStep } from '../../topology/plan.ts';
import type { Claim, SinkOffset, SinkRecord, SinkTransaction, TransactionalSink } from '../sink.ts';
import { SinkFenced } from '../sink.ts';
import { columnValue, resolveColumns, type Column } from './columns.ts';
import { isConnectionFailure } from './connection-failure.ts';
import { OFFSETS_DDL, verifyTable } from './ddl.ts';
import { claimPartitions, FencedGeneration, readPositions, storeOffsets } from './offsets.ts';
import { batchOps } from './tombstones.ts';
import { RowWriter, type Row, type WriteStrategy } from './write.ts';

export interface PostgresSinkOptions {
  connectionString: string;
  /** The reader schema (JSON) of the step's input, to type the columns; undefined when not Avro. */
  schemaJson: unknown | undefined;
  strategy?: WriteStrategy;
  /** How long start-up rides out an unreachable database or a cut connection before it fails. */
  startupTimeoutMs?: number;
  /** For debug lines (ignored tombstones); default: a child of the process's root logger. */
  logger?: Logger;
}

/** host:port/database of a connection string, for messages: never its credentials. */
function address(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.hostname}:${url.port || 5432}${url.pathname}`;
  } catch {
    return 'the configured database';
  }
}

export class PostgresSink implements TransactionalSink {
  readonly name = 'postgres';
  private pool: pg.Pool | undefined;
  readonly columns: Column[];
  private readonly writer: RowWriter;
  private readonly generations = new Map<string, number>();
  private readonly sink: NonNullable<PlannedStep['postgres']>;
  private log: Logger | undefined;

  constructor(
    private readonly step: PlannedStep,
    private readonly opts: PostgresSinkOptions,
  ) {
    this.sink = step.postgres!;
    this.columns = resolveColumns(this.sink.columns, opts.schemaJson);
    this.writer = new RowWriter(this.sink, this.columns, opts.strategy);
  }

  async open(): Promise<void> {
    this.pool = new pg.Pool({
      connectionString: this.opts.connectionString,
      max: 2,
      connectionTimeoutMillis: 10_000,
      application_name: `weir:${this.step.name}`,
    });
    // A dropped connection is replaced on next use; the error must not crash the process.
    this.pool.on('error', () => undefined);
    // A connection cut or refused while starting (a restart, a terminated backend) is retried with
    // backoff until the start-up deadline; a missing or different table fails at once.
    const deadline = Date.now() + (this.opts.startupTimeoutMs ?? 30_000);
    for (let delay = 200; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        return await this.withClient((client) => this.prepare(client));
      } catch (err) {
        if (!isConnectionFailure(err)) throw err;
        if (Date.now() + delay > deadline)
          throw new Error(`Postgres at ${address(this.opts.connectionString)} (DATABASE_URL) is unreachable: ${(err as Error).message}`, {
            cause: err,
          });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async prepare(client: pg.PoolClient): Promise<void> {
    // Two workers starting together race in CREATE TABLE IF NOT EXISTS: the loser sees the winner's
    // table as a duplicate (23505 on its type, or 42P07) — the table exists, which is all we need.
    await client.query(OFFSETS_DDL).catch((err: { code?: string }) => {
      if (err.code !== '23505' && err.code !== '42P07') throw err;
    });
    const check = await verifyTable(client, this.sink, this.columns);
    if (!check.exists) throw new Error(`table ${this.sink.table} does not exist; run \`weir deploy\` to create it`);
    if (check.problems.length)
      throw new Error(`table ${this.sink.table} does not match step ${this.step.name}: ${check.problems.join('; ')}`);
  }

  private key = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;

  /**
   * A pooled client that has an 'error' listener while checked out. pg-pool removes its own listener on
   * checkout, so a connection that dies between statements (pg_terminate_backend, a Postgres restart)
   * would emit an unhandled 'error' and crash the worker instead of failing the batch.
   */
  private async checkout(): Promise<{ client: pg.PoolClient; release: (err?: Error) => void }> {
    const client = await this.pool!.connect();
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    return {
      client,
      release: (err) => {
        const failure = err ?? broken;
        // A broken client stays listened to: it may still report errors while the pool closes it.
        if (!failure) client.removeListener('error', onError);
        client.release(failure);
      },
    };
  }

  /** Runs `fn` on a checked-out client; a failure releases the client with it, so the pool drops it. */
  private async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const { client, release } = await this.checkout();
    try {
      const result = await fn(client);
      release();
      return result;
    } catch (err) {
      release(err as Error);
      throw err;
    }
  }

  async claim(partitions: TopicPartition[]): Promise<Claim[]> {
    return this.withClient(async (client) => {
      const claims = await claimPartitions(client, this.step.group, partitions);
      for (const c of claims) this.generations.set(this.key(c), c.generation);
      return claims;
    });
  }

  async positions(partitions: TopicPartition[]): Promise<Claim[]> {
    const now = await this.withClient((client) => readPositions(client, this.step.group, partitions));
    const taken = partitions.filter(
      (tp) => now.find((c) => this.key(c) === this.key(tp))?.generation !== this.generations.get(this.key(tp)),
    );
    if (taken.length) throw new SinkFenced(`another instance claimed ${taken.length} of our partitions in weir_offsets`);
    return now.map(({ topic, partition, next }) => ({ topic, partition, next }));
  }

  release(partitions: TopicPartition[]): void {
    for (const tp of partitions) this.generations.delete(this.key(tp));
  }

  rows(records: SinkRecord[]): Row[] {
    return records.map((r) => this.columns.map((c) => c.toText(columnValue(r, c.source))));
  }

  /** The batch's deletes (tombstones), then its rows; the records rejected by either, or by onTombstone. */
  private async apply(client: pg.ClientBase, records: SinkRecord[]): Promise<Map<number, Error>> {
    const ops = batchOps(records, this.sink, this.columns);
    const rejected = new Map(ops.rejected);
    const deleted = await this.writer.delete(
      client,
      ops.deletes.map((d) => d.values),
    );
    for (const [i, err] of deleted) rejected.set(ops.deletes[i]!.index, err);
    const written = await this.writer.write(
      client,
      ops.rows.map((r) => r.values),
    );
    for (const [i, err] of written) rejected.set(ops.rows[i]!.index, err);
    if (ops.ignored > 0) {
      this.log ??= this.opts.logger ?? rootLogger().child({ pipeline: this.step.pipeline, step: this.step.name, sink: 'postgres' });
      this.log.debug({ tombstones: ops.ignored }, 'tombstones ignored (onTombstone: ignore)');
    }
    return rejected;
  }

  async begin(records: SinkRecord[], offsets: SinkOffset[]): Promise<SinkTransaction> {
    const { client, release } = await this.checkout();
    let open = true;
    // A client whose statement failed is released with the error, so the pool drops it.
    const finish = async (sql: 'COMMIT' | 'ROLLBACK') => {
      if (!open) return;
      open = false;
      try {
        await client.query(sql);
        release();
      } catch (err) {
        release(err as Error);
        throw err;
      }
    };
    try {
      await client.query('BEGIN');
      const rejected = await this.apply(client, records);
      const owned = offsets.map((o) => {
        const generation = this.generations.get(this.key(o));
        if (generation === undefined) throw new FencedGeneration(`partition ${o.topic}/${o.partition} is not claimed by this instance`);
        return { ...o, generation };
      });
      await storeOffsets(client, this.step.group, owned);
      return { rejected, commit: () => finish('COMMIT'), rollback: () => finish('ROLLBACK').catch(() => undefined) };
    } catch (err) {
      await finish('ROLLBACK').catch(() => undefined);
      if (err instanceof FencedGeneration) throw new SinkFenced(err.message);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.pool?.end().catch(() => undefined);
    this.pool = undefined;
  }
}
