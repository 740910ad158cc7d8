// `--help` (and -h) is an answer, not a usage error: exit 0 for every command and every command group
// (`weir dlq --help` used to exit 2). Both lists come from the command table, so a new command or
// group is covered without touching this file.
import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, runCli } from '../../../src/cli/run.ts';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const GROUPS = [...new Set(COMMAND_NAMES.filter((n) => n.includes(' ')).map((n) => n.split(' ')[0]!))];

describe('--help exits 0 everywhere', () => {
  it('the table has groups to test (dlq, schemas, stack)', () => {
    expect(GROUPS).toEqual(expect.arrayContaining(['dlq', 'schemas', 'stack']));
  });

  it.each(COMMAND_NAMES)('weir %s --help / -h', async (name) => {
    for (const flag of ['--help', '-h']) {
      const r = await run(...name.split(' '), flag);
      expect(r, `weir ${name} ${flag}`).toMatchObject({ code: 0, err: '' });
      expect(r.out).toContain(`usage: weir ${name}`);
    }
  });

  it.each(GROUPS)('weir %s --help / -h lists its commands', async (group) => {
    for (const flag of ['--help', '-h']) {
      const r = await run(group, flag);
      expect(r, `weir ${group} ${flag}`).toMatchObject({ code: 0, err: '' });
      expect(r.out).toContain(`usage: weir ${group} <command>`);
      for (const name of COMMAND_NAMES.filter((n) => n.startsWith(`${group} `))) expect(r.out).toContain(`  ${name.split(' ')[1]} `);
    }
  });

  it('--help wins over anything else on the line, as for a single command', async () => {
    expect((await run('dlq', 'nonsense', '--help')).code).toBe(0);
    expect((await run('deploy', '--no-such-flag', '--help')).code).toBe(0);
  });

  it('a group without a subcommand is still a usage error (exit 2)', async () => {
    const r = await run('dlq');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/weir dlq: expected a subcommand: list, stats, show, redrive, purge/);
  });
});
