// `weir deploy`: the difference between the plan and the cluster — topics to create, configs to
// set, partitions to add, schemas to register, compatibility levels, sink tables — shown, then
// applied idempotently. Decreasing partitions is refused; adding partitions to a keyed topic is
// refused unless explicitly allowed, because keys in flight would change partition and order.
import type { KafkaConnection } from '../kafka/client-config.ts';
import { KafkaAdmin } from '../kafka/admin.ts';
import { alterTopicConfigs, describeTopicConfigs } from '../kafka/topic-configs.ts';
import { schemaFile } from '../schema/codecs.ts';
import type { RegistryClient } from '../schema/registry.ts';
import { resolveColumns } from '../sinks/postgres/columns.ts';
import { ensureTable, type EnsureResult } from '../sinks/postgres/ddl.ts';
import { withPgClient } from '../sinks/postgres/one-shot.ts';
import type { Plan, PlannedTopic } from '../topology/plan.ts';
import { pushSchemas, type PushResult } from './schemas/push.ts';

export type ChangeKind = 'create-topic' | 'set-config' | 'add-partitions' | 'set-compatibility' | 'register-schema' | 'create-table';

export interface Change {
  kind: ChangeKind;
  target: string;
  detail: string;
}

export interface Refusal {
  target: string;
  reason: string;
}

export interface DeployDiff {
  changes: Change[];
  refusals: Refusal[];
  tables: EnsureResult[];
}

export interface DeployDeps {
  kafka: KafkaConnection;
  registry: RegistryClient;
  databaseUrl?: string;
}

const keyed = (t: PlannedTopic) => t.key.format !== 'bytes' || t.role !== 'declared';

async function topicChanges(plan: Plan, deps: DeployDeps, allowRepartition: boolean, diff: DeployDiff): Promise<void> {
  const admin = KafkaAdmin.create(deps.kafka);
  let counts: Map<string, number>;
  try {
    counts = await admin.partitionCounts(plan.topics.map((t) => t.name));
  } finally {
    admin.disconnect();
  }
  const existing = plan.topics.filter((t) => counts.has(t.name));
  const configs = await describeTopicConfigs(
    deps.kafka,
    existing.map((t) => t.name),
  );
  for (const t of plan.topics) {
    const have = counts.get(t.name);
    if (have === undefined) {
      const cfg = Object.entries(t.config)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      diff.changes.push({
        kind: 'create-topic',
        target: t.name,
        detail: `${t.partitions} partitions${t.replicationFactor ? `, rf ${t.replicationFactor}` : ''}${cfg ? `, ${cfg}` : ''}`,
      });
      continue;
    }
    if (have > t.partitions)
      diff.refusals.push({
        target: t.name,
        reason: `has ${have} partitions, the plan says ${t.partitions}: Kafka cannot remove partitions`,
      });
    else if (have < t.partitions) {
      if (keyed(t) && !allowRepartition) {
        diff.refusals.push({
          target: t.name,
          reason: `would grow from ${have} to ${t.partitions} partitions: records of a key already in flight would land on another partition and lose their order (and retry tiers their affinity); pass --allow-repartition once the topic is drained`,
        });
      } else diff.changes.push({ kind: 'add-partitions', target: t.name, detail: `${have} → ${t.partitions}` });
    }
    const current = configs.get(t.name);
    for (const [k, v] of Object.entries(t.config)) {
      const entry = current?.get(k);
      if (entry?.value !== v)
        diff.changes.push({ kind: 'set-config', target: t.name, detail: `${k}: ${entry?.value ?? '(unset)'} → ${v}` });
    }
  }
}

function schemaChanges(results: PushResult[], diff: DeployDiff): void {
  for (const r of results) {
    for (const c of r.changes) {
      if (c.action === 'rejected') diff.refusals.push({ target: c.subject, reason: c.detail });
      else
        diff.changes.push({ kind: c.action === 'register' ? 'register-schema' : 'set-compatibility', target: c.subject, detail: c.detail });
    }
  }
}

async function tableChanges(plan: Plan, root: string, deps: DeployDeps, apply: boolean, diff: DeployDiff): Promise<void> {
  const sinks = plan.steps.filter((s) => s.postgres);
  if (sinks.length === 0) return;
  if (!deps.databaseUrl) throw new Error(`steps ${sinks.map((s) => s.name).join(', ')} write to Postgres: DATABASE_URL is needed`);
  await withPgClient(deps.databaseUrl, 'deploy', async (client) => {
    for (const step of sinks) {
      const columns = resolveColumns(step.postgres!.columns, step.readerSchema ? schemaFile(root, step.readerSchema).json : undefined);
      const result = await ensureTable(client, step.postgres!, columns, { dryRun: !apply });
      diff.tables.push(result);
      if (result.action === 'would-create' || result.action === 'created')
        diff.changes.push({ kind: 'create-table', target: result.table, detail: result.ddl });
      for (const p of result.problems) diff.refusals.push({ target: result.table, reason: p });
    }
  });
}

/** What deploying would change (nothing is changed). */
export async function diffDeploy(plan: Plan, root: string, deps: DeployDeps, opts: { allowRepartition: boolean }): Promise<DeployDiff> {
  const diff: DeployDiff = { changes: [], refusals: [], tables: [] };
  await topicChanges(plan, deps, opts.allowRepartition, diff);
  schemaChanges(await pushSchemas(plan, root, deps.registry, { dryRun: true }), diff);
  await tableChanges(plan, root, deps, false, diff);
  return diff;
}

/** Applies a diff computed just before (refused when it has refusals). */
export async function applyDeploy(plan: Plan, root: string, deps: DeployDeps, diff: DeployDiff): Promise<void> {
  if (diff.refusals.length) throw new Error(`refused: ${diff.refusals.map((r) => `${r.target}: ${r.reason}`).join('; ')}`);
  const byKind = (k: ChangeKind) => diff.changes.filter((c) => c.kind === k);
  const admin = KafkaAdmin.create(deps.kafka);
  try {
    const create = new Set(byKind('create-topic').map((c) => c.target));
    await admin.createTopics(
      plan.topics
        .filter((t) => create.has(t.name))
        .map((t) => ({
          name: t.name,
          partitions: t.partitions,
          ...(t.replicationFactor ? { replicationFactor: t.replicationFactor } : {}),
          config: t.config,
        })),
    );
    for (const c of byKind('add-partitions'))
      await admin.createPartitions(c.target, plan.topics.find((t) => t.name === c.target)!.partitions);
  } finally {
    admin.disconnect();
  }
  const set = new Map<string, Record<string, string | null>>();
  for (const c of byKind('set-config')) set.set(c.target, plan.topics.find((t) => t.name === c.target)!.config);
  await alterTopicConfigs(deps.kafka, set);
  if (byKind('register-schema').length || byKind('set-compatibility').length) await pushSchemas(plan, root, deps.registry);
  if (byKind('create-table').length) await tableChanges(plan, root, deps, true, { changes: [], refusals: [], tables: [] });
}
