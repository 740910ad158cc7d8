// The life cycle shared by the processes the stack runs itself (Kafka, the registry, Redis when
// the machine's own is down): reuse what answers, refuse a port held by something else, start,
// wait until the probe passes, and stop only what this checkout started.
import { logFile } from './paths.ts';
import { isAlive, isOurProcess, portOpen, StackError, stopProcess, waitUntil } from './proc.ts';
import { since, type ServiceReport } from './report.ts';
import { writeState, type StackState } from './state.ts';

export interface ManagedService {
  name: string;
  /** What a user connects to (printed). */
  endpoint: string;
  port: number;
  /** Part of the process's command line that identifies it as ours. */
  marker: string;
  /** Resolves when the service really answers; throws otherwise. */
  probe: () => Promise<unknown>;
  /** Prepares and starts the process; returns its pid. */
  start: (log: string) => Promise<number> | number;
  readyTimeoutMs: number;
  /** Explains a port held by something that does not answer the probe. */
  portHint: string;
}

export async function managedUp(svc: ManagedService, state: StackState): Promise<ServiceReport> {
  const t0 = Date.now();
  const log = logFile(svc.name);
  const base = { name: svc.name, endpoint: svc.endpoint, log };
  const wait = (pid?: number) =>
    waitUntil(async () => (await svc.probe(), true), {
      what: svc.name,
      timeoutMs: svc.readyTimeoutMs,
      logFile: log,
      abort: () => (pid === undefined || isAlive(pid) ? undefined : 'the process exited'),
    });
  const mine = state.started[svc.name];
  if (isOurProcess(mine?.pid, mine?.marker ?? svc.marker)) {
    await wait(mine.pid);
    return { ...base, status: 'running', pid: mine.pid, seconds: since(t0) };
  }
  if (await portOpen(svc.port)) {
    await svc.probe().catch((err: unknown) => {
      throw new StackError(
        `port ${svc.port} is in use by a program that does not answer as ${svc.name} (${(err as Error).message}); ${svc.portHint}`,
      );
    });
    return { ...base, status: 'external', detail: 'already answering here (not started by this checkout)' };
  }
  const pid = await svc.start(log);
  state.started[svc.name] = { pid, marker: svc.marker, startedAt: new Date().toISOString() };
  writeState(state);
  await wait(pid);
  return { ...base, status: 'started', pid, seconds: since(t0) };
}

export async function managedDown(svc: ManagedService, state: StackState): Promise<ServiceReport> {
  const mine = state.started[svc.name];
  const base = { name: svc.name, endpoint: svc.endpoint };
  if (!isOurProcess(mine?.pid, mine?.marker ?? svc.marker)) {
    delete state.started[svc.name];
    writeState(state);
    return { ...base, status: 'untouched', detail: 'not started by this checkout; left alone' };
  }
  const result = await stopProcess(mine.pid, 30_000);
  delete state.started[svc.name];
  writeState(state);
  return { ...base, status: result === 'killed' ? 'killed' : 'stopped', pid: mine.pid };
}

export async function managedStatus(svc: ManagedService, state: StackState): Promise<ServiceReport> {
  const mine = state.started[svc.name];
  const base = { name: svc.name, endpoint: svc.endpoint, log: logFile(svc.name) };
  const answers = await svc.probe().then(
    () => true,
    () => false,
  );
  if (!answers) return { ...base, status: 'down' };
  return isOurProcess(mine?.pid, mine?.marker ?? svc.marker)
    ? { ...base, status: 'running', pid: mine.pid }
    : { ...base, status: 'external' };
}
