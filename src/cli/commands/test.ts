// `weir test`: the team's declarative pipeline tests (topology/tests/*.yaml), run by the broker-free
// test driver: no Kafka, registry, Postgres or Redis is contacted.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runTestFiles, type CaseResult } from '../../testing/cases/run.ts';
import { TestFileError } from '../../testing/cases/load.ts';
import { JSON_OPTION, type Command } from '../command.ts';

const TESTS_DIR = join('topology', 'tests');

function defaultTestFiles(cwd = process.cwd()): string[] {
  const dir = join(cwd, TESTS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => relative(cwd, join(dir, f)));
}

function formatResult(r: CaseResult): string[] {
  const head = `${r.ok ? '✓' : '✗'} ${r.file} › ${r.name} (${r.durationMs} ms)`;
  return [
    head,
    ...r.failures.flatMap((f) => [
      `    ${f.file}:${f.line}:${f.column}${f.where ? `  ${f.where}` : ''}`,
      `      ${f.message.split('\n').join('\n      ')}`,
    ]),
  ];
}

export const testCommand: Command = {
  name: 'test',
  summary: 'run the pipeline tests in topology/tests/*.yaml without any broker or database',
  options: [JSON_OPTION, { name: 'name', type: 'string', description: 'only the cases whose name contains this text', value: '<text>' }],
  positionals: [{ name: 'files', description: `test files (default: ${TESTS_DIR}/*.yaml)`, variadic: true }],
  details:
    'Each case runs the real workers of its topology over in-memory Kafka, registry, Postgres table and HTTP receiver, on a virtual clock. Exit 0 when every case passes, 1 when one fails (each failure names the file:line:column of the expectation).',
  async run(args, io) {
    const files = args.positionals.length ? args.positionals : defaultTestFiles();
    if (files.length === 0) {
      io.err(`weir test: no test files (looked for ${TESTS_DIR}/*.yaml); name them as arguments`);
      return 1;
    }
    let results: CaseResult[];
    try {
      results = await runTestFiles(files, args.options.name as string | undefined);
    } catch (err) {
      if (!(err instanceof TestFileError)) throw err;
      io.err(err.message);
      return 1;
    }
    const failed = results.filter((r) => !r.ok).length;
    if (args.options.json) io.out(JSON.stringify({ passed: results.length - failed, failed, results }, null, 2));
    else {
      for (const r of results) io.out(formatResult(r).join('\n'));
      io.out(`\n${results.length - failed} passed, ${failed} failed`);
    }
    return failed > 0 || results.length === 0 ? 1 : 0;
  },
};
