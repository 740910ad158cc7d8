// `weir schemas check --against git:<ref>`: offline, against the schema files of a commit.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkWithGit } from '../../../src/admin/schemas/check.ts';
import { GitSource } from '../../../src/schema/git.ts';
import { compileTopology } from '../../../src/topology/compile/index.ts';

const schema = (fields: object[]) => JSON.stringify({ type: 'record', name: 'OrderCreated', namespace: 'git.test', fields }, null, 2);
const ID = { name: 'id', type: 'string' };
const AMOUNT = { name: 'amount', type: 'long' };

function repo(level: string, first: object[]) {
  const dir = mkdtempSync(join(tmpdir(), 'weir-git-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  mkdirSync(join(dir, 'topology'));
  mkdirSync(join(dir, 'schemas'));
  writeFileSync(join(dir, 'package.json'), '{}');
  writeFileSync(
    join(dir, 'topology', 'shop.yaml'),
    `pipeline: shop\ntopics:\n  orders:\n    partitions: 3\n    value: schemas/OrderCreated.avsc\n    compatibility: ${level}\n`,
  );
  writeFileSync(join(dir, 'schemas', 'OrderCreated.avsc'), schema(first));
  git('init', '-q', '-b', 'main');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '.');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'v1');
  const commit = (fields: object[]) => {
    writeFileSync(join(dir, 'schemas', 'OrderCreated.avsc'), schema(fields));
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qam', 'next');
  };
  const check = (fields: object[]) => {
    writeFileSync(join(dir, 'schemas', 'OrderCreated.avsc'), schema(fields));
    const { plan, root } = compileTopology([join(dir, 'topology', 'shop.yaml')]);
    return checkWithGit(plan!, root, new GitSource(dir, 'main'));
  };
  return { check, commit };
}

describe('schemas check against a git ref', () => {
  it('an unchanged schema is unchanged; a compatible change passes', () => {
    const r = repo('BACKWARD', [ID]);
    expect(r.check([ID])[0]!.status).toBe('unchanged');
    expect(r.check([ID, { ...AMOUNT, default: 0 }])[0]!.status).toBe('compatible');
  });

  it('explains a break in words', () => {
    const r = repo('FORWARD', [ID, AMOUNT]);
    const [v] = r.check([ID]);
    expect(v!.status).toBe('incompatible');
    expect(v!.problems.map((p) => p.message)).toEqual([
      '`OrderCreated.amount`: field removed without a default — readers with the old schema cannot fill it when reading new data',
    ]);
  });

  it('_TRANSITIVE levels check every committed version, not just the last', () => {
    const r = repo('BACKWARD_TRANSITIVE', [ID]);
    r.commit([ID, { ...AMOUNT, default: 0 }]);
    const [v] = r.check([ID, AMOUNT]); // fine against the last commit, not against the first
    expect(v!.status).toBe('incompatible');
    expect(v!.problems[0]!.against).toMatch(/version 1 of 2/);
  });

  it('a subject new at this ref is new', () => {
    const r = repo('BACKWARD', [ID]);
    const dir = mkdtempSync(join(tmpdir(), 'weir-git-none-'));
    expect(() => new GitSource(dir, 'main')).toThrow(/not inside a git repository/);
    expect(r.check([ID])[0]!.subject).toBe('orders-value');
  });
});
