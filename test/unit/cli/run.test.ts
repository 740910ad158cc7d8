import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, loadCommand, runCli } from '../../../src/cli/run.ts';
import { SUMMARIES } from '../../../src/cli/summaries.ts';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('weir CLI', () => {
  it('--help lists the commands and exits 0', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/usage: weir <command>/);
    expect(r.out).toMatch(/\benv\b/);
  });

  it('an unknown command says what was expected and exits 2', async () => {
    const r = await run('valdiate');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command "valdiate" — did you mean `validate`\?; expected one of: validate, plan, graph/);
  });

  it('every command has --help', async () => {
    const r = await run('env', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/usage: weir env/);
  });

  it('a wrong flag names the flag and the expected ones, exit 2', async () => {
    const r = await run('env', '--jsno');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown option --jsno for `weir env`; expected --json/);
  });

  it('every command name loads the command of that name, and --help lists them all', async () => {
    const help = (await run('--help')).out;
    for (const name of COMMAND_NAMES) {
      const command = await loadCommand(name);
      expect(command.name).toBe(name);
      // `weir --help` prints the generated table, so it needs no command module (npm run gen:docs).
      expect(SUMMARIES[name], `src/cli/summaries.ts is stale for ${name}: npm run gen:docs`).toBe(command.summary);
      expect(help).toContain(`  ${name} `);
    }
    expect(COMMAND_NAMES).toEqual(
      expect.arrayContaining(['validate', 'plan', 'graph', 'deploy', 'run', 'lag', 'replay', 'test', 'env', 'dlq redrive']),
    );
  });

  it('a name from Object.prototype is an unknown command, not a crash', async () => {
    const r = await run('constructor');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command "constructor"/);
  });
});
