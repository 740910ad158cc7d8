// The life cycle shared by the processes the stack runs itself (Kafka, the registry, Redis when
// the machine's own is down): reuse what answers, refuse a port held by something else, start,
// wait until the probe passes, and stop only what this project's stack started.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAlive, isOurProcess, portOpen, StackError, stopProcess, waitUntil } from './proc.ts';
import { since, type ServiceReport } from './report.ts';
import type { StateFile } from './state.ts';

export interface ManagedService {
  name: string;
  /** What a user connects to (printed). */
  endpoint: string;
  port: number;
  /** Part of the process's command line that identifies it as ours. */
  marker: string;
  /** Its log file. */
  log: string;
  /** Resolves when the service really answers; throws otherwise. */
  probe: () => Promise<unknown>;
  /** Prepares and starts the process; returns its pid. */
  start: () => Promise<number> | number;
  readyTimeoutMs: number;
  /** Explains a port held by something that does not answer the probe. */
  portHint: string;
}

/**
 * The first half of managedUp: reuse what runs, refuse a port held by something else, or start.
 * Returns the second half, which waits until the service answers.
 */
export async function managedLaunch(svc: ManagedService, st: StateFile): Promise<() => Promise<ServiceReport>> {
  const t0 = Date.now();
  const base = { name: svc.name, endpoint: svc.endpoint, log: svc.log };
  const wait = (pid?: number) =>
    waitUntil(async () => (await svc.probe(), true), {
      what: svc.name,
      timeoutMs: svc.readyTimeoutMs,
      logFile: svc.log,
      abort: () => (pid === undefined || isAlive(pid) ? undefined : 'the process exited'),
    });
  const mine = st.state.started[svc.name];
  if (isOurProcess(mine?.pid, mine?.marker ?? svc.marker)) {
    return async () => {
      await wait(mine.pid);
      return { ...base, status: 'running', pid: mine.pid, seconds: since(t0) };
    };
  }
  if (await portOpen(svc.port)) {
    await svc.probe().catch((err: unknown) => {
      throw new StackError(
        `port ${svc.port} is in use by a program that does not answer as ${svc.name} (${(err as Error).message}); ${svc.portHint}`,
      );
    });
    return async () => ({ ...base, status: 'external', detail: "already answering here (not started by this project's stack)" });
  }
  mkdirSync(dirname(svc.log), { recursive: true }); // start() may write to the log before the process does
  const pid = await svc.start();
  st.state.started[svc.name] = { pid, marker: svc.marker, startedAt: new Date().toISOString() };
  st.save();
  return async () => {
    await wait(pid);
    return { ...base, status: 'started', pid, seconds: since(t0) };
  };
}

export async function managedUp(svc: ManagedService, st: StateFile): Promise<ServiceReport> {
  return (await managedLaunch(svc, st))();
}

/**
 * Services that can only become ready together — the nodes of a KRaft quorum, none of which answers
 * before a majority runs: all are started first, then all are waited for.
 */
export async function managedUpTogether(svcs: ManagedService[], st: StateFile): Promise<ServiceReport[]> {
  const waits: Array<() => Promise<ServiceReport>> = [];
  for (const svc of svcs) waits.push(await managedLaunch(svc, st));
  return Promise.all(waits.map((w) => w()));
}

export async function managedDown(svc: ManagedService, st: StateFile): Promise<ServiceReport> {
  const mine = st.state.started[svc.name];
  const base = { name: svc.name, endpoint: svc.endpoint };
  if (!isOurProcess(mine?.pid, mine?.marker ?? svc.marker)) {
    delete st.state.started[svc.name];
    st.save();
    const detail =
      mine && !isAlive(mine.pid)
        ? `not running (pid ${mine.pid}, started by this project's stack, has exited)`
        : "not started by this project's stack; left alone";
    return { ...base, status: 'untouched', detail };
  }
  const result = await stopProcess(mine.pid, 30_000);
  delete st.state.started[svc.name];
  st.save();
  return { ...base, status: result === 'killed' ? 'killed' : 'stopped', pid: mine.pid };
}

export async function managedStatus(svc: ManagedService, st: StateFile): Promise<ServiceReport> {
  const mine = st.state.started[svc.name];
  const base = { name: svc.name, endpoint: svc.endpoint, log: svc.log };
  const answers = await svc.probe().then(
    () => true,
    () => false,
  );
  if (!answers) return { ...base, status: 'down' };
  return isOurProcess(mine?.pid, mine?.marker ?? svc.marker)
    ? { ...base, status: 'running', pid: mine.pid }
    : { ...base, status: 'external' };
}
