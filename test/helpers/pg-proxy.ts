// A TCP proxy in front of Postgres that strikes one COMMIT at the worst moment, as a network does:
// - 'lose-answer': the COMMIT reaches the server, which commits; its answer is dropped and the
//   client's connection cut. The client cannot know the transaction took effect.
// - 'late-commit': the client's connection is cut at once while the COMMIT is held; the server-side
//   session stays open, its transaction and row locks with it, and the COMMIT is delivered only
//   once another session waits on a lock (the client's redo of the same batch). The old commit
//   then lands under the redo's feet.
// - 'cut-start': the first N connections are cut at their first statement (a worker starting
//   while Postgres restarts or its backends are terminated).
import net from 'node:net';
import pg from 'pg';
import { waitFor } from './wait.ts';

export type ProxyFault = 'lose-answer' | 'late-commit' | 'cut-start';

// A simple-protocol Query message: 'Q', int32 length (4 + "COMMIT\0"), "COMMIT\0".
const COMMIT = Buffer.concat([Buffer.from([0x51, 0, 0, 0, 11]), Buffer.from('COMMIT\0')]);

export class PgProxy {
  /** COMMITs seen so far. */
  commits = 0;
  /** Connections accepted so far. */
  connections = 0;
  /** The fault happened (and, for a late commit, a session waited on a lock before the COMMIT landed). */
  struck = false;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly target: URL,
    private readonly fault: ProxyFault,
    private readonly strikeAt: number,
  ) {
    this.server = net.createServer((client) => this.connect(client));
  }

  /**
   * Listens on an ephemeral port. `strikeAt`: the number of the COMMIT to strike (1 = the first),
   * or for 'cut-start' how many connections to cut.
   */
  static async start(databaseUrl: string, fault: ProxyFault, strikeAt: number): Promise<PgProxy> {
    const proxy = new PgProxy(new URL(databaseUrl), fault, strikeAt);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The database URL through the proxy. */
  get url(): string {
    const url = new URL(this.target);
    url.host = `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
    return url.toString();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private connect(client: net.Socket): void {
    const upstream = net.connect(Number(this.target.port || 5432), this.target.hostname);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => this.sockets.delete(s));
    }
    let dropAnswer = false;
    const cutAtFirstStatement = this.fault === 'cut-start' && ++this.connections <= this.strikeAt;
    let startupSent = false;
    client.on('close', () => {
      if (!dropAnswer) upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
    upstream.on('data', (chunk) => {
      if (!dropAnswer) return void client.write(chunk);
      // The server answered the COMMIT: it committed. The client never hears of it.
      client.destroy();
      upstream.destroy();
    });
    client.on('data', (chunk) => {
      if (cutAtFirstStatement && startupSent) {
        this.struck = this.connections >= this.strikeAt;
        client.destroy();
        return;
      }
      startupSent = true;
      if (this.fault !== 'cut-start' && chunk.includes(COMMIT) && ++this.commits === this.strikeAt) {
        dropAnswer = true;
        if (this.fault === 'lose-answer') {
          this.struck = true;
          return void upstream.write(chunk);
        }
        client.destroy();
        void this.deliverLate(upstream, chunk);
        return;
      }
      upstream.write(chunk);
    });
  }

  private async deliverLate(upstream: net.Socket, commit: Buffer): Promise<void> {
    const db = new pg.Client({ connectionString: this.target.toString() });
    await db.connect();
    try {
      await waitFor(
        async () =>
          Number(
            (
              await db.query<{ n: string }>(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'weir:%' AND wait_event_type = 'Lock'",
              )
            ).rows[0]!.n,
          ) > 0,
        { timeoutMs: 60_000, intervalMs: 50, what: 'a session waiting on the held transaction' },
      );
      this.struck = true;
    } catch {
      // No one waited: deliver anyway; the test sees `struck` false.
    } finally {
      await db.end();
      upstream.write(commit);
    }
  }
}
