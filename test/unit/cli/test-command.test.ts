// `weir test` on the example's own tests (topology/tests/orders.yaml): passes with every service
// address pointing at a closed port, and a wrong expectation fails with a diff at its file:line.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run.ts';

const CLOSED = {
  KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:9',
  DATABASE_URL: 'postgres://127.0.0.1:9/none',
  REDIS_URL: 'redis://127.0.0.1:9',
};
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

async function weirTest(...argv: string[]) {
  Object.assign(process.env, CLOSED);
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['test', ...argv], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('weir test', () => {
  it('passes the example pipeline tests without any service', async () => {
    const r = await weirTest('--json');
    expect(r.err).toBe('');
    const report = JSON.parse(r.out) as { passed: number; failed: number; results: Array<{ name: string; ok: boolean }> };
    expect(report.failed).toBe(0);
    expect(report.passed).toBeGreaterThanOrEqual(6);
    expect(r.code).toBe(0);
  });

  it('a wrong expectation fails with a diff naming the file, line and column', async () => {
    const original = readFileSync('topology/tests/orders.yaml', 'utf8');
    const lines = original.split('\n');
    const at = lines.findIndex((l) => l.includes('errorMessage: order ord-2 has no items'));
    lines[at] = lines[at]!.replace('has no items', 'has many items');
    const dir = mkdtempSync(join(tmpdir(), 'weir-test-'));
    const file = join(dir, 'orders.yaml');
    writeFileSync(file, lines.join('\n').replace('topology: ../orders.yaml', `topology: ${join(process.cwd(), 'topology/orders.yaml')}`));
    const r = await weirTest(file);
    expect(r.code).toBe(1);
    const column = lines[at]!.indexOf('order ord-2') + 1;
    expect(r.out).toContain(`orders.yaml:${at + 1}:${column}  expect.dlq.enrich[0].errorMessage`);
    expect(r.out).toContain('expected "order ord-2 has many items"');
    expect(r.out).toContain('received "order ord-2 has no items"');
    expect(r.out).toMatch(/\n5 passed, 1 failed$/);
  });

  it('a malformed test file is reported at its line, and no test files at all is an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-test-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'topology: ../orders.yaml\ntests:\n  - name: x\n    steps:\n      - advance: soon\n');
    const bad = await weirTest(file);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${file}:5:18: tests[0].steps[0].advance: not a duration: "soon"`);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const none = await weirTest();
      expect(none.code).toBe(1);
      expect(none.err).toMatch(/no test files/);
    } finally {
      process.chdir(cwd);
    }
  });
});
