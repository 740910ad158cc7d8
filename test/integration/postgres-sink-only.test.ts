// A topology that only sinks a topic someone else produces, on the real stack: deploy leaves the
// producer's subject alone (no new version, no compatibility change) unless the topic says
// `registerSchema: true`; the sink reads each record with the writer's schema (a newer one than the
// local copy), and `columns: auto` creates and fills the table from the local schema's fields.
import { afterAll, describe, expect, it } from 'vitest';
import { applyDeploy, diffDeploy } from '../../src/admin/deploy.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { avroType } from '../../src/schema/avro.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import { encodeAvro } from '../../src/schema/serde.ts';
import { compileTopology } from '../../src/topology/compile/index.ts';
import type { Plan } from '../../src/topology/plan.ts';
import { produceAll } from '../helpers/kafka.ts';
import { projectOnly } from '../helpers/pipeline.ts';
import { kafkaConnection, services } from '../helpers/services.ts';
import { query, startSteps } from '../helpers/steps.ts';
import { waitFor } from '../helpers/wait.ts';

const topology = (register: string) => (id: string) => `pipeline: so${id}
topics:
  in.${id}:
    partitions: 2
    value: schemas/Event.avsc
${register}steps:
  store-${id}:
    input: in.${id}
    sink:
      postgres:
        table: so_${id}
        key: [id]
        columns: auto
    batch: { records: 100, time: 50ms }
    retry: { delays: [500ms] }
`;

/** The producer's current schema: fixture Event.avsc plus a field the local copy does not have yet. */
const PRODUCER_SCHEMA = {
  type: 'record',
  name: 'Event',
  namespace: 'fixture',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'key', type: 'string' },
    { name: 'seq', type: 'long' },
    { name: 'payload', type: 'string', default: '' },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};

const created: string[] = [];
afterAll(async () => {
  const admin = KafkaAdmin.create(kafkaConnection());
  try {
    await admin.deleteTopics(created);
  } finally {
    admin.disconnect();
  }
});

function compile(file: string, root: string): Plan {
  const { plan, diagnostics } = compileTopology([file], { root });
  if (!plan) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return plan;
}

describe('a sink-only topology', { timeout: 180_000 }, () => {
  it('deploy adds no version to the producer’s subject; the sink reads the writer’s schema into columns derived from the fields', async () => {
    const project = projectOnly(topology(''));
    const topic = `in.${project.id}`;
    const subject = `${topic}-value`;
    const registry = new RegistryClient(services().SCHEMA_REGISTRY_URL);
    const producerId = await registry.register(subject, JSON.stringify(PRODUCER_SCHEMA));
    const before = { versions: await registry.versions(subject), level: await registry.subjectCompatibility(subject) };
    expect(before.versions).toHaveLength(1);

    const deps = { kafka: kafkaConnection('weir-sink-only-test'), registry, databaseUrl: services().DATABASE_URL };
    const plan = compile(project.file, project.root);
    created.push(...plan.topics.map((t) => t.name));
    expect(plan.subjects).toEqual([expect.objectContaining({ subject, register: false })]);
    const diff = await diffDeploy(plan, project.root, deps, { allowRepartition: false });
    expect(diff.changes.filter((c) => c.target === subject)).toEqual([]);
    expect(diff.changes.map((c) => `${c.kind} ${c.target}`)).toContain(`create-table so_${project.id}`);
    await applyDeploy(plan, project.root, deps, diff);
    expect({ versions: await registry.versions(subject), level: await registry.subjectCompatibility(subject) }).toEqual(before);

    // The table has the local schema's fields as columns, typed as a mapping would type them.
    const columns = await query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
      [`so_${project.id}`],
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'text' },
      { column_name: 'key', data_type: 'text' },
      { column_name: 'seq', data_type: 'bigint' },
      { column_name: 'payload', data_type: 'text' },
    ]);

    // Records written with the producer's newer schema (its id in each record) are read into the local fields.
    const type = avroType(PRODUCER_SCHEMA);
    const events = Array.from({ length: 40 }, (_, i) => ({ id: `e${i}`, key: `k${i % 4}`, seq: i, payload: 'p', note: 'new' }));
    await produceAll(events.map((e) => ({ topic, key: e.key, value: encodeAvro(type, producerId, e, subject) })));
    const running = await startSteps({ plan, root: project.root, id: project.id }, 'weir-sink-only-test', {
      registry,
      databaseUrl: services().DATABASE_URL,
    });
    try {
      await waitFor(async () => (await query<{ n: string }>(`SELECT count(*) AS n FROM so_${project.id}`))[0]!.n === '40', {
        timeoutMs: 60_000,
        what: '40 rows',
      });
    } finally {
      await running.stop();
    }
    expect(await query(`SELECT id, key, seq::int AS seq, payload FROM so_${project.id} WHERE id = 'e7'`)).toEqual([
      { id: 'e7', key: 'k3', seq: 7, payload: 'p' },
    ]);
    expect(await registry.versions(subject)).toEqual(before.versions); // running registered nothing either

    // Told to, deploy registers the local copy as the subject's next version.
    project.write(topology('    registerSchema: true\n')(project.id));
    const owned = compile(project.file, project.root);
    expect(owned.subjects).toEqual([expect.objectContaining({ subject, register: true })]);
    const ownedDiff = await diffDeploy(owned, project.root, deps, { allowRepartition: false });
    expect(ownedDiff.changes.filter((c) => c.target === subject).map((c) => c.kind)).toContain('register-schema');
    await applyDeploy(owned, project.root, deps, ownedDiff);
    expect(await registry.versions(subject)).toHaveLength(2);
  });
});
