// The CLI's one-shot Postgres clients (deploy, replay, lag) against a real server whose backend is
// terminated mid-query: the operation fails with Postgres's error, and the process survives it.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { withPgClient } from '../../src/sinks/postgres/one-shot.ts';
import { services } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';

describe('withPgClient', () => {
  it('runs the operation and ends the connection', async () => {
    const url = services().DATABASE_URL;
    const operation = `test-ok-${process.pid}`;
    const name = await withPgClient(
      url,
      operation,
      async (c) => (await c.query<{ n: string }>("SELECT current_setting('application_name') AS n")).rows[0]!.n,
    );
    expect(name).toBe(`weir ${operation}`);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const left = await waitFor(
        async () => {
          const { rows } = await admin.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [
            `weir ${operation}`,
          ]);
          return rows[0]!.n === '0' ? 0 : undefined;
        },
        { timeoutMs: 5_000, intervalMs: 50, what: 'the session to end' },
      );
      expect(left).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it('a connection cut while the client is idle between statements does not crash the process', async () => {
    const url = services().DATABASE_URL;
    const operation = `test-idle-${process.pid}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const result = await withPgClient(url, operation, async (c) => {
        await c.query('SELECT 1');
        const { rows } = await admin.query<{ n: string }>(
          'SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = $1',
          [`weir ${operation}`],
        );
        await new Promise((r) => setTimeout(r, 300)); // pg reports the dead idle connection as an 'error' event
        return Number(rows[0]!.n);
      });
      expect(result).toBe(1);
    } finally {
      await admin.end();
    }
  });

  it('a backend terminated mid-query rejects the operation instead of crashing the process', async () => {
    const url = services().DATABASE_URL;
    const operation = `test-cut-${process.pid}`;
    // Settled into a value at once: a rejection nobody awaits yet would count as unhandled.
    const outcome = withPgClient(url, operation, (c) => c.query('SELECT pg_sleep(30)')).then(
      () => new Error('the query was not cut'),
      (err: Error) => err,
    );
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const terminated = await waitFor(
        async () => {
          const { rows } = await admin.query<{ n: string }>(
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%pg_sleep%'",
            [`weir ${operation}`],
          );
          return Number(rows[0]!.n) > 0 ? Number(rows[0]!.n) : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 50, what: 'the sleeping query to appear' },
      );
      expect(terminated).toBe(1);
    } finally {
      await admin.end();
    }
    expect((await outcome).message).toMatch(/terminating connection/i);
    // An 'error' event without a listener would surface here as an uncaught exception (vitest fails the run).
    await new Promise((r) => setTimeout(r, 200));
  });
});
