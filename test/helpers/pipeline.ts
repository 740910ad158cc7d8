// A throwaway project per test: a topology with unique topic names next to the fixture schemas and
// transforms, compiled, with its topics created and schemas registered on the real stack.
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { pushSchemas } from '../../src/admin/schemas/push.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import { compileTopology } from '../../src/topology/compile/index.ts';
import { formatDiagnostic } from '../../src/topology/diagnostics.ts';
import type { Plan } from '../../src/topology/plan.ts';
import { kafkaConnection, services, uniqueName } from './services.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/project/', import.meta.url));

export interface TestPipeline {
  root: string;
  file: string;
  plan: Plan;
  /** Unique suffix used in topic and pipeline names. */
  id: string;
  topic(name: string): string;
}

/** `yaml` may use {{id}} for a unique suffix. Topics are created, schemas registered. */
export async function createPipeline(yaml: (id: string) => string): Promise<TestPipeline> {
  const id = uniqueName('p').replace(/[^a-z0-9]/g, '');
  const root = mkdtempSync(join(tmpdir(), 'weir-pipeline-'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  symlinkSync(join(FIXTURE, 'schemas'), join(root, 'schemas'));
  symlinkSync(join(FIXTURE, 'transforms'), join(root, 'transforms'));
  const file = join(root, 'pipeline.yaml');
  writeFileSync(file, yaml(id));
  const { plan, diagnostics } = compileTopology([file], { root });
  if (!plan) throw new Error(`test topology does not compile:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
  const admin = KafkaAdmin.create(kafkaConnection());
  try {
    await admin.createTopics(plan.topics.map((t) => ({ name: t.name, partitions: t.partitions, config: t.config })));
  } finally {
    admin.disconnect();
  }
  // The test produces to every topic itself, sink-only ones included: it registers them all, as their producer would.
  await pushSchemas(plan, root, new RegistryClient(services().SCHEMA_REGISTRY_URL), { all: true });
  afterAll(async () => {
    const a = KafkaAdmin.create(kafkaConnection());
    try {
      await a.deleteTopics(plan.topics.map((t) => t.name));
    } finally {
      a.disconnect();
    }
  });
  return { root, file, plan, id, topic: (name) => `${name}.${id}` };
}

/** A transform step from `<in>` to `<out>` (topic names get the unique suffix). */
export const transformTopology =
  (opts: { partitions?: number; transform?: string; extra?: string; batch?: string; retry?: string; outputs?: string[]; value?: string }) =>
  (id: string) => `pipeline: t${id}
topics:
  in.${id}:
    partitions: ${opts.partitions ?? 3}
    value: ${opts.value ?? 'schemas/Event.avsc'}
${(opts.outputs ?? ['out']).map((o) => `  ${o}.${id}:\n    partitions: ${opts.partitions ?? 3}\n    value: ${opts.value ?? 'schemas/Event.avsc'}`).join('\n')}
steps:
  step-${id}:
    input: in.${id}
    transform: transforms/events.ts#${opts.transform ?? 'tag'}
    outputs: [${(opts.outputs ?? ['out']).map((o) => `${o}.${id}`).join(', ')}]
    batch: ${opts.batch ?? '{ records: 200, time: 50ms }'}
    retry: ${opts.retry ?? '{ delays: [1s, 2s] }'}
${opts.extra ?? ''}`;

/** Creates the Postgres tables of the pipeline's sink steps (what `weir deploy` does). */
export async function createSinkTables(
  p: Pick<TestPipeline, 'root' | 'plan'>,
  extraSql: string[] = [],
  databaseUrl = services().DATABASE_URL,
): Promise<void> {
  const pg = (await import('pg')).default;
  const { ensureTable } = await import('../../src/sinks/postgres/ddl.ts');
  const { resolveColumns } = await import('../../src/sinks/postgres/columns.ts');
  const { schemaFile } = await import('../../src/schema/codecs.ts');
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const step of p.plan.steps.filter((s) => s.postgres)) {
      const columns = resolveColumns(step.postgres!.columns, step.readerSchema ? schemaFile(p.root, step.readerSchema).json : undefined);
      await ensureTable(client, step.postgres!, columns, { dryRun: false });
    }
    for (const sql of extraSql) await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A Postgres sink step from `<in>` into table `t_<id>` keyed by the event key (or id). */
export const sinkTopology =
  (opts: { partitions?: number; mode?: 'insert' | 'upsert'; version?: boolean; keyBy?: 'key' | 'id'; batch?: string }) =>
  (id: string) => `pipeline: s${id}
topics:
  in.${id}:
    partitions: ${opts.partitions ?? 3}
    value: schemas/Event.avsc
steps:
  store-${id}:
    input: in.${id}
    sink:
      postgres:
        table: t_${id}
        key: [k]
        mode: ${opts.mode ?? 'upsert'}
${opts.version ? '        version: seq\n' : ''}        columns:
          k: ${opts.keyBy ?? 'key'}
          id: id
          seq: seq
          payload: payload
          event_id: $eventId
          source_offset: $offset
    batch: ${opts.batch ?? '{ records: 500, time: 50ms }'}
    retry: { delays: [500ms] }
`;

/** A project (schemas, transforms, package.json) with a topology file but nothing created yet. */
export function projectOnly(yaml: (id: string) => string): { root: string; file: string; id: string; write(yaml: string): void } {
  const id = uniqueName('d').replace(/[^a-z0-9]/g, '');
  const root = mkdtempSync(join(tmpdir(), 'weir-project-'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  symlinkSync(join(FIXTURE, 'schemas'), join(root, 'schemas'));
  symlinkSync(join(FIXTURE, 'transforms'), join(root, 'transforms'));
  const file = join(root, 'pipeline.yaml');
  writeFileSync(file, yaml(id));
  return { root, file, id, write: (text) => writeFileSync(file, text) };
}
