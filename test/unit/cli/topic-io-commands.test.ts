// `weir produce` and `weir consume` up to the point where they would connect: help and usage errors.
import { describe, expect, it } from 'vitest';
import { loadCommand, runCli } from '../../../src/cli/run.ts';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('weir produce / consume', () => {
  it('--help shows every option and how lines look', async () => {
    for (const name of ['produce', 'consume']) {
      const help = await run(name, '--help');
      expect(help.code).toBe(0);
      for (const o of (await loadCommand(name)).options) expect(help.out).toContain(`--${o.name}`);
    }
    const produce = (await run('produce', '--help')).out;
    expect(produce).toMatch(/usage: weir produce \[options\] <topic> \[files…\]/);
    expect(produce).toContain('nothing at all is produced');
    expect((await run('consume', '--help')).out).toContain('"valueBase64"');
  });

  it('a topic the topology does not know needs --value-format (exit 2, before connecting)', async () => {
    const r = await run('produce', 'not.in.topology');
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      'not.in.topology is not in the topology; give its format with --value-format string|json|bytes|avro:<schema.avsc>',
    );
    expect((await run('produce', 'x', '--value-format', 'xml')).err).toMatch(/--key-format\/--value-format: expected string, json, bytes/);
    expect((await run('produce', 'x', '--value-format', 'avro:nope.avsc')).err).toMatch(/no such schema file: .*nope\.avsc/);
    expect((await run('produce', 'x', '--value-format', 'json', 'missing.jsonl')).err).toMatch(/no such input file: missing\.jsonl/);
  });

  it('consume option errors', async () => {
    expect((await run('consume', 't', '--from-beginning', '--offset', '3')).err).toMatch(/give --from-beginning or --offset, not both/);
    expect((await run('consume', 't', '--timeout', 'soon')).err).toMatch(/--timeout expects a duration like 10s or 500ms; got "soon"/);
    expect((await run('consume', 't', '--count', '0')).err).toMatch(/--count expects a whole number ≥ 1; got 0/);
    expect((await run('consume', 't', '--isolation', 'dirty')).code).toBe(2);
    expect((await run('consume')).err).toMatch(/missing <topic>/);
  });
});
