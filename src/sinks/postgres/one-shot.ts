// A Postgres client for one CLI operation (deploy, replay, lag): connect, run, end.
// pg emits 'error' on a client whose connection dies, besides rejecting the query in progress; with
// no listener Node would crash on that event with a stack trace instead of the query's error (and
// `weir lag --watch` would die on a Postgres restart). The rejection is what the caller reports.
import pg from 'pg';

export async function withPgClient<T>(connectionString: string, operation: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString, application_name: `weir ${operation}` });
  client.on('error', () => undefined); // surfaces as the rejected query or connect
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined); // a dead connection has nothing left to end
  }
}
