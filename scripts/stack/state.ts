// Which processes this checkout started, so that `stack:down` stops only those.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { paths } from './paths.ts';

export interface StartedProcess {
  pid: number;
  /** A string of its command line, to tell our process from a reused pid. */
  marker: string;
  startedAt: string;
}

export interface StackState {
  started: Record<string, StartedProcess | undefined>;
  /** System services this stack started with their own tools (e.g. a Postgres cluster). */
  startedSystem: Record<string, string | undefined>;
}

export function readState(): StackState {
  if (!existsSync(paths.state)) return { started: {}, startedSystem: {} };
  const parsed = JSON.parse(readFileSync(paths.state, 'utf8')) as Partial<StackState>;
  return { started: parsed.started ?? {}, startedSystem: parsed.startedSystem ?? {} };
}

export function writeState(state: StackState): void {
  mkdirSync(dirname(paths.state), { recursive: true });
  writeFileSync(paths.state, JSON.stringify(state, null, 2) + '\n');
}
