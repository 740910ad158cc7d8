// `npm run bench [suite…]`: runs the benchmark suites and writes docs/performance.{md,json}.
import { backlogSuite } from './backlog.ts';
import { baselineSuite } from './baseline.ts';
import { ceilingSuite } from './ceiling.ts';
import { clientsSuite } from './clients.ts';
import { coldStartSuite } from './cold-start.ts';
import { latencySuite } from './latency.ts';
import { threadsSuite } from './threads.ts';
import { saveResult, type SuiteResult } from './report.ts';
import { peerSuite } from './peer.ts';
import { pipeSuite } from './pipe.ts';
import { postgresSuite } from './postgres.ts';
import { profileSuite } from './profile.ts';
import { retrySuite } from './retry.ts';
import { serdeSuite } from './serde.ts';

const SUITES: Record<string, () => Promise<SuiteResult>> = {
  serde: () => serdeSuite(),
  pipe: () => pipeSuite(),
  postgres: () => postgresSuite(),
  retry: () => retrySuite(),
  backlog: () => backlogSuite(),
  profile: () => profileSuite(),
  'cold-start': () => coldStartSuite(),
  latency: () => latencySuite(),
  threads: () => threadsSuite(),
};
// Not in the default run: baseline needs BENCH_BASELINE (another checkout to compare with); peer
// (Kafka Streams, built with Maven) and ceiling (Kafka's perf tools) need Java and Maven, and peer
// takes many minutes at its default sizes.
const ON_REQUEST: Record<string, () => Promise<SuiteResult>> = {
  baseline: () => baselineSuite(),
  peer: () => peerSuite(),
  ceiling: () => ceilingSuite(),
  clients: () => clientsSuite(),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !SUITES[w] && !ON_REQUEST[w]);
if (unknown.length) {
  console.error(`unknown suite ${unknown.join(', ')}; expected: ${[...Object.keys(SUITES), ...Object.keys(ON_REQUEST)].join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length ? wanted : Object.keys(SUITES)) {
  console.log(`bench: ${name} ...`);
  const result = await (SUITES[name] ?? ON_REQUEST[name])!();
  saveResult(result);
  console.log(result.markdown);
}
console.log('wrote docs/performance.md and docs/performance.json');
