// The fault-injection suite (docs/reliability.md). `npm test` runs the short subset;
// `npm run test:faults` (WEIR_FAULTS=full) runs every scenario at full size and writes the report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultRun } from './harness.ts';
import { checkInvariants } from './invariants.ts';
import { recordResult, type ScenarioResult } from './report.ts';
import { SCENARIOS as PROCESS_SCENARIOS, SELF_CHECK, type Scale, type Scenario } from './scenarios.ts';
import { CLUSTER_SCENARIOS, SELF_CHECK_OFFSETS } from './cluster-scenarios.ts';
import { NETWORK_SCENARIOS } from './network-scenarios.ts';
import { REGISTRY_SCENARIO } from './registry-scenario.ts';
import { FaultStack, logOf } from './stack.ts';
import { writeFileSync } from 'node:fs';

const scale: Scale = process.env.WEIR_FAULTS === 'full' ? 'full' : 'short';
// WEIR_FAULTS_ONLY=zombie,redis runs just those scenarios, at either scale (with WEIR_FAULT_SEED:
// replays one run).
const only = process.env.WEIR_FAULTS_ONLY?.split(',');
// Full size: each scenario this many times, each with a seed of its own (one run when a seed is given).
const repetitions = scale === 'full' && !process.env.WEIR_FAULT_SEED ? Number(process.env.WEIR_FAULTS_REPEAT ?? 5) : 1;
const docs = new URL('../../docs/', import.meta.url);
const wanted = (name: string) => !only || only.includes(name);
const SCENARIOS = [...PROCESS_SCENARIOS, ...CLUSTER_SCENARIOS, ...NETWORK_SCENARIOS, REGISTRY_SCENARIO];
const SELF_CHECKS = [SELF_CHECK, SELF_CHECK_OFFSETS];
const order = [...SCENARIOS, ...SELF_CHECKS].map((s) => s.name);
let stack: FaultStack;

/** Every worker's log, for a failing run's post-mortem: one file per seed, a repetition keeps its own. */
const workerLog = (scenario: string, run: FaultRun) => logOf(`${scenario}-${run.rnd.seed}-workers`);
function writeWorkerLogs(scenario: string, run: FaultRun): void {
  writeFileSync(
    workerLog(scenario, run),
    run.pool.history
      .map((w, i) => {
        // A first line per process: when it was spawned and ended, and how (its start-up time shows against its first log).
        const head = { process: i, slot: w.slot, spawned: w.startedAt, exited: w.exitedAt, exit: w.proc.exitCode ?? w.proc.signalCode };
        return [head, ...w.logs.map((l) => ({ process: i, slot: w.slot, ...l }))].map((l) => JSON.stringify(l)).join('\n');
      })
      .join('\n'),
  );
}

async function runScenario(s: Scenario): Promise<ScenarioResult> {
  const t0 = Date.now();
  const run = await FaultRun.create(stack, s.options(scale));
  console.log(`${s.name}: seed ${run.rnd.seed} (replay with WEIR_FAULT_SEED=${run.rnd.seed})`);
  try {
    await run.start();
    await s.inject(run, scale);
    await run.settle(scale === 'full' ? 600_000 : 240_000);
  } catch (err) {
    writeWorkerLogs(s.name, run);
    console.log(`${run.pool.dump(40)}\nworker logs: ${workerLog(s.name, run)}`);
    throw err;
  }
  const evidence = await checkInvariants(run, await run.stop());
  const checks = [...evidence.checks, s.bit(run, evidence)];
  const result: ScenarioResult = {
    scenario: s.name,
    fault: s.fault,
    seed: run.rnd.seed,
    records: run.workload.records.length,
    faults: run.faults.length,
    aborted: evidence.aborted,
    slowestRecoveryMs: Math.max(0, ...evidence.recoveries.filter(Number.isFinite)),
    httpRedeliveries: evidence.httpDuplicates,
    seconds: Math.round((Date.now() - t0) / 1000),
    checks,
    pass: checks.every((c) => c.ok),
  };
  console.log(
    `${s.name}: ${result.faults} faults, ${result.records} records, ${result.aborted} aborted seen, ${result.seconds} s\n${checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`).join('\n')}`,
  );
  writeWorkerLogs(s.name, run);
  if (!result.pass && !s.name.startsWith('self-check')) console.log(`${run.pool.dump(20)}\nworker logs: ${workerLog(s.name, run)}`);
  return result;
}

describe(`fault injection (${scale})`, { timeout: scale === 'full' ? 1_800_000 : 900_000 }, () => {
  beforeAll(async () => {
    stack = new FaultStack();
    await stack.start();
  }, 300_000);
  afterAll(async () => {
    // WEIR_FAULTS_KEEP=1 leaves the private stack running for a post-mortem.
    if (!process.env.WEIR_FAULTS_KEEP) await stack?.stop();
  });
  const keep = (result: ScenarioResult) => {
    if (scale === 'full') recordResult(result, order, Math.max(5, repetitions), docs);
  };
  const times = (name: string) => (repetitions > 1 ? Array.from({ length: repetitions }, (_, i) => `${name} #${i + 1}`) : [name]);

  for (const s of SCENARIOS.filter((x) => (only ? wanted(x.name) : scale === 'full' || x.short))) {
    for (const title of times(s.name)) {
      it(`${title}: ${s.fault}`, async () => {
        const result = await runScenario(s);
        keep(result);
        expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      });
    }
  }

  // A self-check passes when the suite reports the duplicates a deliberately weakened build makes.
  for (const check of SELF_CHECKS.filter((x) => (only ? wanted(x.name) : scale === 'full' || x.short))) {
    for (const title of times(check.name)) {
      it(`${title}: ${check.fault}`, async () => {
        const result = await runScenario(check);
        const duplicatesCheck = result.checks.find((c) => c.name.startsWith('no duplicates (output'))!;
        const detected = result.checks.at(-1)!;
        keep({ ...result, expectFailure: true, pass: detected.ok && !duplicatesCheck.ok });
        expect(detected.ok).toBe(true);
        expect(duplicatesCheck.ok).toBe(false);
      });
    }
  }
});
