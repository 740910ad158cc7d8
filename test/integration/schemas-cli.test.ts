// `weir schemas push` is idempotent; `weir schemas check` against the registry catches a break
// and explains it; a breaking push is refused.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { services, uniqueName } from '../helpers/services.ts';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const schema = (fields: object[]) => JSON.stringify({ type: 'record', name: 'Payment', namespace: 'cli.test', fields });

describe('weir schemas push | check against the registry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-schemas-'));
  const topic = uniqueName('payments');
  const file = join(dir, 'topology', 'pay.yaml');
  const writeSchema = (fields: object[]) => writeFileSync(join(dir, 'schemas', 'Payment.avsc'), schema(fields));

  beforeAll(() => {
    process.env.SCHEMA_REGISTRY_URL = services().SCHEMA_REGISTRY_URL;
    mkdirSync(join(dir, 'topology'));
    mkdirSync(join(dir, 'schemas'));
    writeFileSync(join(dir, 'package.json'), '{}');
    writeFileSync(
      file,
      `pipeline: pay\ntopics:\n  ${topic}:\n    partitions: 1\n    value: schemas/Payment.avsc\n    compatibility: FULL\n`,
    );
    writeSchema([
      { name: 'id', type: 'string' },
      { name: 'cents', type: 'long' },
    ]);
  });

  it('registers and sets the level, then reports up to date', async () => {
    const first = await run('schemas', 'push', file);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(new RegExp(`set-compatibility\\s+${topic}-value\\s+\\(global default\\) → FULL`));
    expect(first.out).toMatch(new RegExp(`register\\s+${topic}-value\\s+schemas/Payment.avsc as version 1`));
    const second = await run('schemas', 'push', file);
    expect(second).toMatchObject({
      code: 0,
      out: 'up to date: 1 subjects already registered with their compatibility levels; nothing changed',
    });
    const json = JSON.parse((await run('schemas', 'push', '--json', file)).out);
    expect(json.upToDate).toBe(true);
  });

  it('check accepts a compatible change and explains an incompatible one; push refuses it', async () => {
    writeSchema([
      { name: 'id', type: 'string' },
      { name: 'cents', type: 'long' },
      { name: 'memo', type: 'string', default: '' },
    ]);
    expect((await run('schemas', 'check', file)).code).toBe(0);
    writeSchema([{ name: 'id', type: 'string' }]);
    const check = await run('schemas', 'check', file);
    expect(check.code).toBe(1);
    expect(check.out).toContain(
      '`Payment.cents`: field removed without a default — readers with the old schema cannot fill it when reading new data',
    );
    const push = await run('schemas', 'push', file);
    expect(push.code).toBe(1);
    expect(push.out).toMatch(/rejected\s+.*incompatible under FULL: `Payment.cents`: field removed without a default/);
  });
});
