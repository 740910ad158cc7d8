// The schema registry killed while the pipeline runs. A worker caches the schemas it has met, so a
// registry outage only matters when a record arrives under a schema id the worker has not seen: the
// feed switches to a new, compatible version of the input schema (registered before the run, as a
// producer's upgrade would) while the registry is down. Those records must wait for the registry —
// not be dead-lettered as undecodable — and flow once it is back.
import { EVERY_STEP } from './harness.ts';
import { feed, type Scenario } from './scenarios.ts';
import { waitFor } from '../helpers/wait.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Where in the feed the new schema version starts. */
const NEW_SCHEMA_FROM = 0.5;

export const REGISTRY_SCENARIO: Scenario = {
  name: 'registry-kill',
  fault: 'SIGKILL the schema registry just before the feed switches to a new schema version; restart it 20–30 s later',
  short: false,
  options: (scale) => ({ ...feed(scale, 50_000), newSchemaFrom: NEW_SCHEMA_FROM }),
  inject: async (run) => {
    const switchAt = Math.floor(run.opts.records * NEW_SCHEMA_FROM);
    await waitFor(() => run.produced >= switchAt * 0.8 || !run.feeding, {
      timeoutMs: run.opts.durationMs * 2,
      intervalMs: 100,
      what: 'the feed to near its schema switch',
    });
    const at = Date.now();
    await run.stack.killRegistry();
    // Down until records of the new version have been produced for a while.
    await waitFor(() => run.produced > switchAt || !run.feeding, { timeoutMs: run.opts.durationMs, intervalMs: 100, what: 'the switch' });
    await sleep(run.rnd.int(20_000, 30_000));
    const restarting = Date.now();
    await run.stack.startRegistry();
    run.record('registry down', at, EVERY_STEP, restarting);
  },
  bit: (run, e) => {
    const waited = run.pool
      .logged(/registry/i)
      .filter((l) => /unreachable|refused|ECONNREFUSED|fetch failed/i.test(JSON.stringify(l))).length;
    return {
      name: 'the faults bit: workers met the new schema while the registry was down, and waited',
      ok: waited > 0,
      detail: `${waited} registry-unreachable logs; ${e.aborted} aborted records`,
    };
  },
};
