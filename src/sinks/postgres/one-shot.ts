// A Postgres client for one CLI operation (deploy, replay, lag): connect, run, end.
// A connection that dies mid-query rejects that query; one that dies while the client is idle
// between statements is reported as an 'error' event, which with no listener crashes Node with a
// stack trace. The listener keeps the process up; the next query's rejection is what the caller
// reports.
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
