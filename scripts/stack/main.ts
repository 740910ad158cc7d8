// `npm run stack:up | stack:down | stack:status [-- --json]`
import { relative } from 'node:path';
import { PROJECT_ROOT } from './paths.ts';
import { StackError } from './proc.ts';
import type { ServiceReport } from './report.ts';
import { stackDown, stackStatus, stackUp } from './stack.ts';

const USAGE = `Local stack for weir: Apache Kafka (KRaft), Apicurio Registry, Postgres, Redis — no Docker.

usage: npm run stack:up | stack:down | stack:status [-- --json]

  up      start what is not running, wait until each service really answers,
          write the connection settings to .weir/stack.env
  down    stop what this checkout started (the machine's own Postgres/Redis stay up)
  status  show what answers where

Ports: Kafka 19092 (WEIR_KAFKA_PORT), controller 19093, registry 18081 (WEIR_REGISTRY_PORT).
Artifacts, data and logs live in .weir/stack (WEIR_STACK_DIR).`;

const rel = (p: string | undefined) => (p ? relative(process.cwd(), p) || p : '');

function table(reports: ServiceReport[]): string {
  return reports
    .map((r) => {
      const bits = [r.name.padEnd(9), r.status.padEnd(8), r.endpoint];
      if (r.pid) bits.push(`pid ${r.pid}`);
      if (r.seconds !== undefined && r.status === 'started') bits.push(`${r.seconds} s`);
      if (r.detail) bits.push(`— ${r.detail}`);
      if (r.log && r.status !== 'external') bits.push(`log: ${rel(r.log)}`);
      return '  ' + bits.join('  ');
    })
    .join('\n');
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const positional = argv.filter((a) => !a.startsWith('-'));
  const unknown = argv.filter((a) => a.startsWith('-') && a !== '--json' && a !== '--help' && a !== '-h');
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  if (unknown.length > 0 || positional.length !== 1) {
    console.error(
      `${unknown.length ? `unknown option ${unknown[0]}; expected --json or --help` : 'expected one command: up, down or status'}\n\n${USAGE}`,
    );
    return 2;
  }
  const command = positional[0];
  const t0 = Date.now();
  if (command === 'up') {
    const result = await stackUp(json ? undefined : (line) => console.log(`  ${line}`));
    if (json) console.log(JSON.stringify(result, null, 2));
    else
      console.log(
        `\nweir local stack is up (${((Date.now() - t0) / 1000).toFixed(1)} s):\n${table(result.services)}\nconnection settings: ${rel(result.envFile)}`,
      );
  } else if (command === 'down') {
    const reports = await stackDown();
    console.log(json ? JSON.stringify(reports, null, 2) : table(reports));
  } else if (command === 'status') {
    const reports = await stackStatus();
    console.log(json ? JSON.stringify(reports, null, 2) : table(reports));
    return reports.every((r) => r.status !== 'down') ? 0 : 1;
  } else {
    console.error(`unknown command ${command}; expected up, down or status\n\n${USAGE}`);
    return 2;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof StackError) console.error(`stack: ${err.message}`);
    else console.error(err);
    console.error(`(project root: ${PROJECT_ROOT})`);
    process.exit(1);
  },
);
