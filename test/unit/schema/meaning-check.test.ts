// `weir schemas check --against git:<ref>` on a change of meaning: it breaks (exit 1) instead of
// passing as "unchanged", unless the subject is named in --accept-meaning-change.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkWithGit } from '../../../src/admin/schemas/check.ts';
import { runCli } from '../../../src/cli/run.ts';
import { GitSource } from '../../../src/schema/git.ts';
import { compileTopology } from '../../../src/topology/compile/index.ts';

const schema = (fields: object[]) => JSON.stringify({ type: 'record', name: 'OrderCreated', namespace: 'meaning.test', fields }, null, 2);
const ID = { name: 'id', type: 'string' };
const createdAt = (logicalType: string) => ({ name: 'createdAt', type: { type: 'long', logicalType } });
const AMOUNT = { name: 'amount', type: 'long' };

/** A git repository with one topic whose value schema is committed on `main`, then edited in the working tree. */
function repo(first: object[], level = 'BACKWARD') {
  const dir = mkdtempSync(join(tmpdir(), 'weir-meaning-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'pipe' });
  mkdirSync(join(dir, 'topology'));
  mkdirSync(join(dir, 'schemas'));
  writeFileSync(join(dir, 'package.json'), '{}');
  const topology = join(dir, 'topology', 'shop.yaml');
  writeFileSync(
    topology,
    `pipeline: shop\ntopics:\n  orders:\n    partitions: 3\n    value: schemas/OrderCreated.avsc\n    compatibility: ${level}\n`,
  );
  writeFileSync(join(dir, 'schemas', 'OrderCreated.avsc'), schema(first));
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-qm', 'v1');
  const edit = (fields: object[]) => writeFileSync(join(dir, 'schemas', 'OrderCreated.avsc'), schema(fields));
  return { dir, topology, edit };
}

const cwd = process.cwd();
afterEach(() => process.chdir(cwd));

/** Runs the CLI in the repository, as CI does (the git ref is read from the working directory). */
async function check(dir: string, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  process.chdir(dir);
  const code = await runCli(['schemas', 'check', '--against', 'git:main', ...argv], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const MEANING = '`OrderCreated.createdAt`: meaning changed from `timestamp-millis` to `timestamp-micros`';

describe('schemas check on a change of meaning', () => {
  it('millis → micros is incompatible, not unchanged', () => {
    const r = repo([ID, createdAt('timestamp-millis')]);
    r.edit([ID, createdAt('timestamp-micros')]);
    const { plan, root } = compileTopology([r.topology]);
    const [v] = checkWithGit(plan!, root, new GitSource(r.dir, 'main'));
    expect(v!.status).toBe('incompatible');
    expect(v!.problems.map((p) => p.message)).toEqual([expect.stringContaining(MEANING)]);
  });

  it('exits 1 and names the field, the logical types and the way to accept it', async () => {
    const r = repo([ID, createdAt('timestamp-millis')]);
    r.edit([ID, createdAt('timestamp-micros')]);
    const result = await check(r.dir, r.topology);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/^BREAKS\s+orders-value/);
    expect(result.out).toContain(MEANING);
    expect(result.out).toContain('--accept-meaning-change <subject>');
  });

  it('--accept-meaning-change lets the named subject pass, still listing the change', async () => {
    const r = repo([ID, createdAt('timestamp-millis')]);
    r.edit([ID, createdAt('timestamp-micros')]);
    const result = await check(r.dir, '--accept-meaning-change', 'orders-value', r.topology);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^ok\s+orders-value .*meaning changes accepted by --accept-meaning-change/);
    expect(result.out).toContain(`accepted: ${MEANING}`);
    const json = await check(r.dir, '--json', '--accept-meaning-change', 'orders-value', r.topology);
    expect(JSON.parse(json.out)).toMatchObject({
      compatible: true,
      subjects: [
        { subject: 'orders-value', status: 'compatible', problems: [], accepted: [{ message: expect.stringContaining(MEANING) }] },
      ],
    });
  });

  it('accepting a change of meaning does not accept other breaks of the subject', async () => {
    const r = repo([ID, createdAt('timestamp-millis')], 'FORWARD');
    r.edit([createdAt('timestamp-micros'), AMOUNT]);
    const result = await check(r.dir, '--accept-meaning-change', 'orders-value', r.topology);
    expect(result.code).toBe(1);
    expect(result.out).toContain('`OrderCreated.id`: field removed without a default');
    expect(result.out).toContain(`accepted: ${MEANING}`);
  });

  it('a subject that does not exist is a usage error', async () => {
    const r = repo([ID, createdAt('timestamp-millis')]);
    const result = await check(r.dir, '--accept-meaning-change', 'orders-vlaue', r.topology);
    expect(result.code).toBe(2);
    expect(result.err).toContain('--accept-meaning-change names no subject orders-vlaue; subjects: orders-value');
  });
});
