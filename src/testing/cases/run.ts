// Runs test files: each case in a fresh TopologyTestDriver, its steps in order; every expectation
// compared with what the pipeline did so far, failures located at the expected value's line.
import { relative } from 'node:path';
import { pathText, type Path } from '../../topology/source.ts';
import { TopologyTestDriver } from '../driver.ts';
import { loadTestFile, type Action, type ExpectSection, type TestCase, type TestFile } from './load.ts';
import { matchRecords, type Mismatch } from './match.ts';

export interface Failure {
  file: string;
  line: number;
  column: number;
  /** The expectation, e.g. `topics.orders.enriched[0].value.total`. */
  where: string;
  message: string;
}

export interface CaseResult {
  file: string;
  name: string;
  ok: boolean;
  durationMs: number;
  failures: Failure[];
}

/** What the pipeline did, per expectation section and name (topic, step, table). */
async function received(driver: TopologyTestDriver, section: ExpectSection, name: string): Promise<Array<Record<string, unknown>>> {
  switch (section) {
    case 'topics':
      return (await driver.output(name)) as unknown as Array<Record<string, unknown>>;
    case 'dlq':
      return (await driver.dlq(name)) as unknown as Array<Record<string, unknown>>;
    case 'retries':
      return (await driver.retries(name)) as unknown as Array<Record<string, unknown>>;
    case 'rows':
      return driver.rows(name);
    case 'http':
      return driver.http.deliveries.filter((d) => d.step === name) as unknown as Array<Record<string, unknown>>;
  }
}

async function check(
  driver: TopologyTestDriver,
  action: Extract<Action, { kind: 'expect' }>,
): Promise<Array<{ path: Path; message: string }>> {
  await driver.run();
  const out: Array<{ path: Path; message: string }> = [];
  for (const [section, byName] of Object.entries(action.sections) as Array<[ExpectSection, Record<string, unknown>]>) {
    for (const [name, expected] of Object.entries(byName)) {
      const at = [...action.path, section, name];
      const actual = await received(driver, section, name);
      let mismatches: Mismatch[];
      if (typeof expected === 'number')
        mismatches = actual.length === expected ? [] : [{ path: [], message: `expected ${expected} records\nreceived ${actual.length}` }];
      else if (Array.isArray(expected)) mismatches = matchRecords(expected, actual);
      else mismatches = [{ path: [], message: 'expected a list of records or a count' }];
      out.push(...mismatches.map((m) => ({ path: [...at, ...m.path], message: m.message })));
    }
  }
  return out;
}

async function runCase(file: TestFile, c: TestCase): Promise<CaseResult> {
  const t0 = performance.now();
  const failures: Failure[] = [];
  const display = relative(process.cwd(), file.file) || file.file;
  const report = (path: Path, message: string) => {
    const node = file.source.doc.getIn(path, true) as never;
    const loc = file.source.nodeLoc(node);
    failures.push({ file: display, line: loc.line, column: loc.column, where: pathText(path.slice(c.path.length)), message });
  };
  // Transforms read their settings from the environment: the case's `env` holds while it runs.
  const env = { ...file.env, ...c.env };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  let driver: TopologyTestDriver | undefined;
  try {
    driver = await TopologyTestDriver.create({ topology: file.topology, env });
    for (const action of c.actions) {
      if (action.kind === 'input') {
        for (const r of action.records) {
          if (r.raw !== undefined)
            driver.pipeRaw(action.topic, [
              {
                key: r.key === undefined || r.key === null ? null : String(r.key),
                value: Buffer.from(r.raw, 'utf8'),
                ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
              },
            ]);
          else
            await driver.pipe(action.topic, [
              {
                key: r.key,
                value: r.value,
                ...(r.headers ? { headers: r.headers } : {}),
                ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
              },
            ]);
        }
      } else if (action.kind === 'advance') await driver.advance(action.ms);
      else if (action.kind === 'respond') driver.http.respond(...action.responses);
      else for (const f of await check(driver, action)) report(f.path, f.message);
    }
  } catch (err) {
    report(c.path, `the case could not run: ${(err as Error).message}`);
  } finally {
    await driver?.close().catch(() => undefined);
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return { file: display, name: c.name, ok: failures.length === 0, durationMs: Math.round(performance.now() - t0), failures };
}

/** Runs every case of the files (those whose name contains `only`, when given). */
export async function runTestFiles(files: string[], only?: string): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const f of files) {
    const file = loadTestFile(f);
    for (const c of file.cases) if (!only || c.name.includes(only)) results.push(await runCase(file, c));
  }
  return results;
}
