// Test files (`topology/tests/*.yaml`): cases of input records, clock moves, scripted HTTP answers
// and expectations, each remembered with its YAML path so that a failure names file:line:column.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Diagnostics, formatDiagnostic, type Loc } from '../../topology/diagnostics.ts';
import { SourceFile, pathText, type Path } from '../../topology/source.ts';
import { parseDuration } from '../../topology/spec/index.ts';
import type { ScriptedResponse } from '../sinks/http.ts';

export interface InputRecord {
  key?: unknown;
  value?: unknown;
  /** Bytes as UTF-8 text instead of an encoded value (a poison pill). */
  raw?: string;
  headers?: Record<string, string>;
  timestamp?: number;
}

export type Action =
  | { kind: 'input'; path: Path; topic: string; records: InputRecord[] }
  | { kind: 'advance'; path: Path; ms: number }
  | { kind: 'respond'; path: Path; responses: ScriptedResponse[] }
  | { kind: 'expect'; path: Path; sections: Record<ExpectSection, Record<string, unknown>> };

export const EXPECT_SECTIONS = ['topics', 'dlq', 'retries', 'rows', 'http'] as const;
export type ExpectSection = (typeof EXPECT_SECTIONS)[number];

export interface TestCase {
  name: string;
  path: Path;
  env: Record<string, string>;
  actions: Action[];
}

export interface TestFile {
  file: string;
  source: SourceFile;
  /** The topology file, resolved from the test file's folder. */
  topology: string;
  env: Record<string, string>;
  cases: TestCase[];
}

export class TestFileError extends Error {
  override name = 'TestFileError';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function loadTestFile(file: string): TestFile {
  const diag = new Diagnostics();
  const source = new SourceFile(file, readFileSync(file, 'utf8'), diag, true);
  if (!source.ok) throw new TestFileError(diag.sorted().map(formatDiagnostic).join('\n'));
  const where = (path: Path): Loc => source.nodeLoc(source.doc.getIn(path, true) as never);
  const fail = (path: Path, message: string): never => {
    const l = where(path);
    throw new TestFileError(`${l.file}:${l.line}:${l.column}: ${pathText(path) || 'file'}: ${message}`);
  };
  const root = source.doc.toJS() as unknown;
  if (!isObject(root)) return fail([], 'a test file is a map with `topology` and `tests`');
  if (typeof root.topology !== 'string') fail(['topology'], 'the topology file under test, relative to this file (e.g. ../orders.yaml)');
  if (!Array.isArray(root.tests) || root.tests.length === 0) fail(['tests'], 'a list of test cases');
  const strings = (v: unknown, path: Path): Record<string, string> => {
    if (v === undefined) return {};
    if (!isObject(v)) return fail(path, 'a map of names to strings');
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
  };
  const cases = (root.tests as unknown[]).map((t, i): TestCase => {
    const path = ['tests', i];
    if (!isObject(t) || typeof t.name !== 'string') return fail(path, 'a test case has a `name` and `steps` (or `input` and `expect`)');
    const raw = t.steps ?? [
      ...(t.input !== undefined ? [{ input: t.input }] : []),
      ...(t.expect !== undefined ? [{ expect: t.expect }] : []),
    ];
    const stepsPath = t.steps !== undefined ? [...path, 'steps'] : path;
    if (!Array.isArray(raw) || raw.length === 0) fail(path, 'needs `steps`, or `input` and `expect`');
    const actions = (raw as unknown[]).flatMap((s, j) => parseStep(s, t.steps !== undefined ? [...stepsPath, j] : [...path], fail));
    return { name: t.name, path, env: strings(t.env, [...path, 'env']), actions };
  });
  return { file, source, topology: resolve(dirname(file), root.topology as string), env: strings(root.env, ['env']), cases };
}

type Fail = (path: Path, message: string) => never;

function parseStep(step: unknown, path: Path, fail: Fail): Action[] {
  if (!isObject(step)) return fail(path, 'a step is one of `input`, `advance`, `respond`, `expect`');
  const actions: Action[] = [];
  for (const [kind, v] of Object.entries(step)) {
    const at = [...path, kind];
    if (kind === 'input') {
      for (const [n, group] of (Array.isArray(v) ? v : [v]).entries()) {
        const gp = Array.isArray(v) ? [...at, n] : at;
        if (!isObject(group) || typeof group.topic !== 'string' || !Array.isArray(group.records))
          fail(gp, '`input` takes `topic` and `records` (a list of { key, value | raw, headers, timestamp })');
        actions.push({
          kind: 'input',
          path: gp,
          topic: (group as { topic: string }).topic,
          records: (group as { records: InputRecord[] }).records,
        });
      }
    } else if (kind === 'advance') {
      const ms = typeof v === 'number' ? v : parseDuration(String(v));
      if (ms === undefined) fail(at, `not a duration: ${JSON.stringify(v)} (e.g. 5s, 1m)`);
      actions.push({ kind: 'advance', path: at, ms: ms! });
    } else if (kind === 'respond') {
      const list = Array.isArray(v) ? v : [v];
      if (!list.every((r) => isObject(r) && typeof r.status === 'number'))
        fail(at, '`respond` takes HTTP answers { status, body?, headers? } for the next requests');
      actions.push({ kind: 'respond', path: at, responses: list as ScriptedResponse[] });
    } else if (kind === 'expect') {
      if (!isObject(v)) return fail(at, `\`expect\` has sections: ${EXPECT_SECTIONS.join(', ')}`);
      const unknown = Object.keys(v).filter((k) => !(EXPECT_SECTIONS as readonly string[]).includes(k));
      if (unknown.length) fail([...at, unknown[0]!], `unknown section; \`expect\` has: ${EXPECT_SECTIONS.join(', ')}`);
      const sections = Object.fromEntries(EXPECT_SECTIONS.map((s) => [s, (v[s] ?? {}) as Record<string, unknown>])) as Record<
        ExpectSection,
        Record<string, unknown>
      >;
      for (const s of EXPECT_SECTIONS) if (!isObject(sections[s])) fail([...at, s], `a map of names to expected lists (or counts)`);
      actions.push({ kind: 'expect', path: at, sections });
    } else fail(at, 'unknown step; a step is one of `input`, `advance`, `respond`, `expect`');
  }
  return actions;
}
