// `weir stack up|down --compose`: where a Docker engine runs, the same services from a compose
// file (`docker compose up -d --wait`), after which `stack up` finds them answering, reuses them
// and writes the settings. Kept minimal on purpose: it is not exercised here (no Docker engine).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StackError } from './proc.ts';

const NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
/** weir's own docker-compose.yml (same components, versions and ports as the native stack), when installed with weir. */
const BUNDLED = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));

/** The project's compose file, else weir's own. */
export function composeFile(project: string): string {
  const own = NAMES.map((n) => join(project, n)).find((f) => existsSync(f));
  if (own) return own;
  if (existsSync(BUNDLED)) return BUNDLED;
  throw new StackError(`--compose needs a compose file: none of ${NAMES.join(', ')} in ${project}`);
}

function composeCommand(): string[] {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    if (spawnSync(cmd[0]!, [...cmd.slice(1), 'version'], { stdio: 'ignore' }).status === 0) return cmd;
  }
  throw new StackError('--compose needs Docker Compose (`docker compose` or `docker-compose`); neither is installed');
}

/** Runs `docker compose -f <file> <args>`; its output goes to stderr. */
export function compose(file: string, args: string[]): void {
  const [cmd, ...pre] = composeCommand();
  const r = spawnSync(cmd!, [...pre, '-f', file, ...args], { stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new StackError(`\`${[cmd, ...pre, '-f', file, ...args].join(' ')}\` failed (exit ${r.status ?? r.signal})`);
}
