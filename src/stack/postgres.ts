// Postgres: the machine's own server. Started with pg_ctlcluster only when it is down; the stack
// creates its databases (weir for pipelines and tests, weir_registry for the schema registry).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import pg from 'pg';
import { redactUrl } from '../config/redact.ts';
import { postgresSelect1 } from './probes.ts';
import { StackError, waitUntil } from './proc.ts';
import { since, type ServiceReport } from './report.ts';
import type { StateFile } from './state.ts';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/weir';

function serverUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function ensureDatabases(url: string, names: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl(url, 'postgres'), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    for (const name of names) {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    }
  } catch (err) {
    throw new StackError(`could not create database(s) ${names.join(', ')} at ${redactUrl(url)}: ${(err as Error).message}`);
  } finally {
    await client.end();
  }
}

function startLocalClusters(): boolean {
  if (!existsSync('/etc/postgresql')) return false;
  try {
    for (const version of readdirSync('/etc/postgresql')) {
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'ignore' });
    }
    return true;
  } catch {
    return false;
  }
}

export async function postgresUp(st: StateFile, url: string, databases: string[]): Promise<ServiceReport> {
  const t0 = Date.now();
  const base = { name: 'postgres', endpoint: redactUrl(url) };
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
  let status: ServiceReport['status'] = st.state.startedSystem.postgres ? 'running' : 'external';
  const answers: true | Error = await postgresSelect1(serverUrl(url, 'postgres')).catch((err: Error) => err);
  if (answers !== true) {
    if (!local || !startLocalClusters()) {
      throw new StackError(
        `Postgres at ${redactUrl(url)} does not answer (${answers.message}). Start it, or point DATABASE_URL at a running server.`,
      );
    }
    st.state.startedSystem.postgres = 'pg_ctlcluster';
    st.save();
    await waitUntil(() => postgresSelect1(serverUrl(url, 'postgres')), {
      what: 'postgres',
      timeoutMs: 60_000,
      logFile: '/var/log/postgresql/',
    });
    status = 'started';
  }
  await ensureDatabases(url, databases);
  await postgresSelect1(url);
  return { ...base, status, seconds: since(t0) };
}

export async function postgresDown(st: StateFile, url: string): Promise<ServiceReport> {
  const base = { name: 'postgres', endpoint: redactUrl(url) };
  if (!st.state.startedSystem.postgres) return { ...base, status: 'untouched', detail: "the machine's own server; left running" };
  for (const version of readdirSync('/etc/postgresql')) {
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'stop'], { stdio: 'ignore' });
  }
  delete st.state.startedSystem.postgres;
  st.save();
  return { ...base, status: 'stopped' };
}

export async function postgresStatus(st: StateFile, url: string): Promise<ServiceReport> {
  const base = { name: 'postgres', endpoint: redactUrl(url) };
  const ok = await postgresSelect1(url).then(
    () => true,
    () => false,
  );
  return { ...base, status: ok ? (st.state.startedSystem.postgres ? 'running' : 'external') : 'down' };
}
