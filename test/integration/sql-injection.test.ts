// SQL through a topology: an injection attempt in every field of a Postgres sink that reaches SQL
// (table, schema, column names, key, version, type, field paths) is refused by `weir validate` with
// its file:line:column, and `weir deploy` stops before any SQL runs: the canary table survives and no
// table the attempts name appears.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { projectOnly } from '../helpers/pipeline.ts';
import { services } from '../helpers/services.ts';

async function cli(...argv: string[]) {
  const out: string[] = [];
  Object.assign(process.env, services());
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => out.push(t) });
  return { code, out: out.join('\n') };
}

async function sql<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: services().DATABASE_URL });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

const DROP = 'DROP TABLE victim_canary';
const sink = (over: { table?: string; key?: string; version?: string; columns?: string }) => (id: string) => `pipeline: q${id}
topics:
  in.${id}: { partitions: 1, value: schemas/Event.avsc }
steps:
  store-${id}:
    input: in.${id}
    sink:
      postgres:
        table: ${over.table ?? `q_${id}`}
        key: [${over.key ?? 'id'}]
${over.version ? `        version: ${over.version}\n` : ''}        columns: ${over.columns ?? '{ id: id, seq: seq }'}
`;

const CORPUS: Array<[string, Parameters<typeof sink>[0]]> = [
  ['table', { table: JSON.stringify(`t; ${DROP}; --`) }],
  ['schema-qualified table', { table: JSON.stringify(`public.t; ${DROP}`) }],
  ['quoted table', { table: JSON.stringify('"t"') }],
  ['column name', { columns: `{ id: id, ${JSON.stringify(`seq; ${DROP}; --`)}: seq }` }],
  ['column name with a quote', { columns: `{ id: id, ${JSON.stringify('se"q')}: seq }` }],
  ['key', { key: JSON.stringify(`id); ${DROP}; --`) }],
  ['version', { version: JSON.stringify(`seq; ${DROP}`) }],
  [
    'type',
    { columns: `{ id: id, seq: { field: seq, type: ${JSON.stringify(`int, PRIMARY KEY (id)); ${DROP}; CREATE TABLE dummy (id int`)} } }` },
  ],
  ['type with a default', { columns: `{ id: id, seq: { field: seq, type: "int DEFAULT (1)" } }` }],
  ['field path', { columns: `{ id: id, seq: ${JSON.stringify(`seq'); ${DROP}; --`)} }` }],
];

describe('SQL injection through a topology', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    await sql('CREATE TABLE IF NOT EXISTS victim_canary (id int)');
  });
  afterAll(async () => {
    await sql('DROP TABLE IF EXISTS victim_canary');
  });

  it.each(CORPUS)('through the %s: refused at validate with its position; deploy runs no SQL', async (_field, over) => {
    const p = projectOnly(sink(over));
    const validated = await cli('validate', p.file);
    expect(validated.code, validated.out).toBe(1);
    expect(validated.out).toMatch(new RegExp(`${p.file.replaceAll('/', '\\/').replaceAll('.', '\\.')}:\\d+:\\d+`));
    const deployed = await cli('deploy', '--execute', p.file); // even when told to apply
    expect(deployed.code, deployed.out).not.toBe(0);
    expect(deployed.out).toContain('error[');
    expect(deployed.out).not.toMatch(/\bapplied\b|changes \(/);
    expect(await sql(`SELECT to_regclass('public.victim_canary') AS t`)).toEqual([{ t: 'victim_canary' }]);
    expect(await sql(`SELECT to_regclass('public.dummy') AS t`)).toEqual([{ t: null }]);
  });
});
