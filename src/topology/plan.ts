// The compiled, immutable plan: everything a topology means, resolved and named. Deterministic:
// the same files give byte-identical JSON (sorted collections, fixed key order, no timestamps, no
// environment values).
import type { FormatRef } from './language.ts';

export const PLAN_VERSION = 1;

export type TopicRole = 'declared' | 'retry' | 'dlq' | 'dlq-handled' | 'retry-keys' | 'audit';

export interface PlannedTopic {
  name: string;
  role: TopicRole;
  partitions: number;
  replicationFactor: number | null;
  config: Record<string, string>;
  key: FormatRef;
  value: FormatRef;
  /** Step that owns a derived topic. */
  step: string | null;
  compatibility: string;
}

export interface PlannedSubject {
  subject: string;
  topic: string;
  part: 'key' | 'value';
  schema: string;
  fingerprint: string;
  compatibility: string;
  /**
   * Whether `weir deploy` registers the schema and sets the level. False for a topic this topology
   * only sinks (its producer owns the subject), unless the topic says `registerSchema: true`.
   */
  register: boolean;
}

export interface RetryTier {
  topic: string;
  delayMs: number;
}

export type StepKind = 'transform' | 'filter' | 'map' | 'route' | 'postgres' | 'http';

export interface PlannedColumn {
  name: string;
  /** Field path in the value, or a `$` record attribute. */
  source: string;
  type: string | null;
}

export interface PlannedStep {
  name: string;
  pipeline: string;
  file: string;
  kind: StepKind;
  input: string;
  group: string;
  transactionalIdPrefix: string;
  readerSchema: string | null;
  outputs: string[];
  key: 'keep' | { field: string };
  transform: { module: string; export: string } | null;
  filter: string | null;
  map: string | Record<string, string> | null;
  route: { by: string; cases: Record<string, string>; default: string | null } | null;
  postgres: {
    table: string;
    key: string[];
    mode: 'insert' | 'upsert';
    version: string | null;
    columns: PlannedColumn[];
    /** `auto`: the columns are the top-level fields of the reader schema (`columns: auto`). */
    columnsFrom: 'mapping' | 'auto';
    createTable: boolean;
    /** What a record with a null value does: go to the DLQ, delete the row of its key, or nothing. */
    onTombstone: 'dlq' | 'delete' | 'ignore';
  } | null;
  http: {
    url: string;
    method: 'POST' | 'PUT';
    headers: Record<string, string>;
    idempotencyHeader: string;
    idempotencyKeyField: string | null;
    /** Keys from an incoming `weir.event.id` header instead of the record's coordinates. */
    trustEventIdHeader: boolean;
    timeoutMs: number;
    deliveryRecordTtlMs: number | null;
  } | null;
  batch: { records: number; bytes: number; timeMs: number };
  ordering: 'partition' | 'key';
  concurrency: number;
  /** Worker processes `weir run` starts for the step (1: the step runs in the `weir run` process). */
  threads: number;
  timeoutMs: number;
  transactionTimeoutMs: number;
  retry: {
    tiers: RetryTier[];
    dlq: string;
    /** Compacted ledger of DLQ records already redriven or purged. */
    dlqHandled: string;
    retryOn: string[];
    dlqOn: string[];
    preserveKeyOrder: boolean;
    keysTopic: string | null;
  };
  rateLimit: { perSecond: number; burst: number; scope: 'redis' | 'local'; onRedisDown: 'fail-closed' | 'fail-open' } | null;
}

export interface Plan {
  version: typeof PLAN_VERSION;
  pipelines: Array<{ name: string; description: string | null; file: string }>;
  topics: PlannedTopic[];
  subjects: PlannedSubject[];
  steps: PlannedStep[];
  /** Environment variables the topology references, and where. */
  env: Array<{ name: string; usedBy: string }>;
}

export function planToJson(plan: Plan): string {
  return JSON.stringify(plan, null, 2) + '\n';
}

export function findStep(plan: Plan, name: string): PlannedStep | undefined {
  return plan.steps.find((s) => s.name === name);
}

export function findTopic(plan: Plan, name: string): PlannedTopic | undefined {
  return plan.topics.find((t) => t.name === name);
}
