// Which processes this project's stack started, so that `weir stack down` stops only those.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

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
  /** The Kafka nodes this project's stack runs (`weir stack up --brokers`); absent: 1. */
  kafkaBrokers?: number;
}

/** The state and where it is saved. */
export interface StateFile {
  file: string;
  state: StackState;
  save(): void;
}

export function readState(file: string): StateFile {
  const parsed: Partial<StackState> = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<StackState>) : {};
  const state: StackState = {
    started: parsed.started ?? {},
    startedSystem: parsed.startedSystem ?? {},
    ...(parsed.kafkaBrokers !== undefined ? { kafkaBrokers: parsed.kafkaBrokers } : {}),
  };
  return {
    file,
    state,
    save() {
      // A project that never started anything gets no .weir folder from `down`.
      const empty = Object.values(state.started).every((v) => !v) && Object.values(state.startedSystem).every((v) => !v);
      if (empty && !existsSync(file)) return;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(state, null, 2) + '\n');
    },
  };
}
