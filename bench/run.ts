// `npm run bench [suite…]`: runs the benchmark suites and writes docs/performance.{md,json}.
import { backlogSuite } from './backlog.ts';
import { saveResult, type SuiteResult } from './report.ts';
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
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !SUITES[w]);
if (unknown.length) {
  console.error(`unknown suite ${unknown.join(', ')}; expected: ${Object.keys(SUITES).join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length ? wanted : Object.keys(SUITES)) {
  console.log(`bench: ${name} ...`);
  const result = await SUITES[name]!();
  saveResult(result);
  console.log(result.markdown);
}
console.log('wrote docs/performance.md and docs/performance.json');
