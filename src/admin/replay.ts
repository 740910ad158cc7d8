// `weir replay`: reset a step's consumer-group offsets with the semantics of
// `kafka-consumer-groups --reset-offsets` (targets clamped to what the log holds), dry run first.
// Postgres sinks keep their offsets in Postgres: those are reset too. Refused while the group has
// active members. The dry run shows what will be processed again and who downstream sees it.
import type { KafkaConnection } from '../kafka/client-config.ts';
import { KafkaAdmin, type GroupMember } from '../kafka/admin.ts';
import { KafkaConsumer } from '../kafka/consumer.ts';
import type { TopicPartition, TopicPartitionOffset } from '../kafka/types.ts';
import { OFFSETS_TABLE } from '../sinks/postgres/ddl.ts';
import { withPgClient } from '../sinks/postgres/one-shot.ts';
import type { Plan, PlannedStep } from '../topology/plan.ts';
import { auditRecord } from './audit.ts';
import { StepClaim } from './claim.ts';
import { positions, type Position } from './positions.ts';

export type ResetSpec =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'datetime'; at: number }
  | { kind: 'offset'; offset: number }
  | { kind: 'shift'; by: number };

export interface PartitionReset extends Position {
  target: number;
  /** Records that will be processed again (negative: skipped). */
  reprocess: number;
  /** Offsets asked for that retention already deleted. */
  gone: number;
}

export interface Downstream {
  target: string;
  kind: 'topic' | 'postgres' | 'http' | 'step';
  idempotent: boolean;
  note: string;
}

export interface ReplayPlan {
  step: string;
  group: string;
  spec: ResetSpec;
  partitions: PartitionReset[];
  downstream: Downstream[];
  activeMembers: GroupMember[];
  warnings: string[];
}

export interface ReplayRequest {
  plan: Plan;
  step: PlannedStep;
  spec: ResetSpec;
  /** Limit to these topics (the input or its retry tiers) and partitions. */
  topics?: Array<{ topic: string; partitions?: number[] }>;
  includeRetryTiers?: boolean;
  kafka: KafkaConnection;
  databaseUrl?: string;
}

const clamp = (v: number, p: Position) => Math.min(Math.max(v, p.earliest), p.end);

function sinkNote(s: PlannedStep): Downstream | undefined {
  if (s.postgres) {
    const idempotent = s.postgres.mode === 'insert' || s.postgres.version !== null;
    const how =
      s.postgres.mode === 'insert'
        ? 'insert ignores existing keys'
        : s.postgres.version
          ? `upsert guarded by ${s.postgres.version}: older records never overwrite newer rows`
          : 'upsert without a version column re-applies older values until the replay catches up';
    return { target: `postgres table ${s.postgres.table} (step ${s.name})`, kind: 'postgres', idempotent, note: how };
  }
  if (s.http)
    return {
      target: `${s.http.method} ${s.http.url} (step ${s.name})`,
      kind: 'http',
      idempotent: false,
      note: `requests are sent again with the same ${s.http.idempotencyHeader}; safe only if the receiver deduplicates${s.http.deliveryRecordTtlMs ? ' (delivery records skip those still remembered in Redis)' : ''}`,
    };
  return undefined;
}

/** Everything downstream of a step that will see the replayed records again. */
export function blastRadius(plan: Plan, step: PlannedStep): Downstream[] {
  const out: Downstream[] = [];
  const seen = new Set<string>();
  const visit = (s: PlannedStep) => {
    if (seen.has(s.name)) return;
    seen.add(s.name);
    const sink = sinkNote(s);
    if (sink) out.push(sink);
    for (const topic of s.outputs) {
      out.push({
        target: topic,
        kind: 'topic',
        idempotent: true,
        note: 'records are produced again with the same weir.event.id (duplicates in the log; idempotent readers absorb them)',
      });
      for (const reader of plan.steps.filter((r) => r.input === topic)) visit(reader);
    }
  };
  visit(step);
  return out;
}

export async function planReplay(req: ReplayRequest): Promise<ReplayPlan> {
  const { step, kafka } = req;
  const allowed = [step.input, ...step.retry.tiers.map((t) => t.topic)];
  const wanted = req.topics ?? [{ topic: step.input }, ...(req.includeRetryTiers ? step.retry.tiers.map((t) => ({ topic: t.topic })) : [])];
  for (const w of wanted) if (!allowed.includes(w.topic)) throw new Error(`step ${step.name} reads ${allowed.join(', ')}; not ${w.topic}`);
  const only = (tp: TopicPartition) => wanted.some((w) => w.topic === tp.topic && (!w.partitions || w.partitions.includes(tp.partition)));
  const current = await positions(
    step,
    wanted.map((w) => w.topic),
    kafka,
    req.databaseUrl,
    only,
  );
  const admin = KafkaAdmin.create(kafka);
  let byTime = new Map<string, number>();
  let members: GroupMember[];
  try {
    if (req.spec.kind === 'datetime') {
      const found = await admin.offsets(current, { timestamp: req.spec.at });
      byTime = new Map(found.map((o) => [`${o.topic}/${o.partition}`, o.offset]));
    }
    members = (await admin.describeGroup(step.group)).members;
  } finally {
    admin.disconnect();
  }
  const warnings: string[] = [];
  const partitions = current.map((p): PartitionReset => {
    const spec = req.spec;
    const from = p.committed ?? p.earliest;
    let requested: number;
    if (spec.kind === 'earliest') requested = p.earliest;
    else if (spec.kind === 'latest') requested = p.end;
    else if (spec.kind === 'offset') requested = spec.offset;
    else if (spec.kind === 'shift') requested = from + spec.by;
    else {
      const o = byTime.get(`${p.topic}/${p.partition}`) ?? -1;
      requested = o < 0 ? p.end : o; // no record at or after the time: the end
    }
    const target = clamp(requested, p);
    const gone =
      spec.kind === 'datetime' ? (requested === p.earliest && p.earliest > 0 ? p.earliest : 0) : Math.max(0, p.earliest - requested);
    if (gone > 0)
      warnings.push(
        `${p.topic}/${p.partition}: ${spec.kind === 'datetime' ? `the requested time is at or before the oldest record still held; ${gone} earlier records were deleted by retention` : `${gone} records before offset ${p.earliest} were deleted by retention`}; starting at ${p.earliest}`,
      );
    return { ...p, target, reprocess: from - target, gone };
  });
  return {
    step: step.name,
    group: step.group,
    spec: req.spec,
    partitions,
    downstream: blastRadius(req.plan, step),
    activeMembers: members,
    warnings,
  };
}

export async function executeReplay(req: ReplayRequest, plan: ReplayPlan): Promise<void> {
  if (plan.activeMembers.length)
    throw new Error(
      `group ${plan.group} has active members: ${plan.activeMembers.map((m) => `${m.clientId}@${m.host}`).join(', ')}; stop the step's workers first`,
    );
  const targets = plan.partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.target }));
  // Claimed first (claim.ts): a concurrent redrive, purge or replay of the step fences this one.
  const claim = await StepClaim.acquire(req.kafka, req.step, 'replay');
  try {
    await resetOffsets(req, plan, targets, claim);
  } finally {
    await claim.release();
  }
}

async function resetOffsets(req: ReplayRequest, plan: ReplayPlan, targets: TopicPartitionOffset[], claim: StepClaim): Promise<void> {
  if (req.step.postgres) {
    if (!req.databaseUrl) throw new Error(`step ${req.step.name} keeps its offsets in Postgres: DATABASE_URL is needed`);
    await withPgClient(req.databaseUrl, 'replay', (client) =>
      client.query(
        `INSERT INTO ${OFFSETS_TABLE} (consumer_group, topic, partition, next_offset) SELECT $1, t, p, n FROM unnest($2::text[], $3::int[], $4::bigint[]) AS u(t, p, n)
         ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
        [plan.group, targets.map((t) => t.topic), targets.map((t) => t.partition), targets.map((t) => t.offset)],
      ),
    );
  }
  // A member-less consumer of the group supplies the group for the transaction, which commits the
  // new offsets and the audit record together (what kafka-consumer-groups --reset-offsets commits).
  const consumer = await KafkaConsumer.connect(req.kafka, { name: 'replay', groupId: plan.group });
  try {
    const audit = auditRecord({
      action: 'replay',
      step: plan.step,
      details: {
        spec: plan.spec,
        partitions: plan.partitions.map((p) => ({ topic: p.topic, partition: p.partition, from: p.committed, to: p.target })),
      },
    });
    await claim.transaction(async () => {
      await claim.producer.sendOffsetsToTransaction(targets, consumer, 30_000);
      await claim.producer.send(audit);
    });
  } finally {
    await consumer.disconnect();
  }
}
