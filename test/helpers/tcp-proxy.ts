// A plain TCP proxy that can cut a service off as a network or a dead server does, and heal it on
// the same port (the client keeps its URL):
// - 'refuse': the listener is closed and every open connection reset: connection refused.
// - 'blackhole': connections are accepted and nothing is ever answered (a hung server, a dropped
//   route); open connections stop carrying data too.
// Used in front of the schema registry (test/integration/registry-outage.test.ts, and the unit
// test of the same name in front of an in-process registry).
import net from 'node:net';

export type Cut = 'refuse' | 'blackhole';

export class TcpProxy {
  /** Connections accepted so far (while cut off by 'blackhole' too). */
  connections = 0;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private mode: 'open' | Cut = 'open';
  private port = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listens on an ephemeral port of 127.0.0.1 in front of `host:port`. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target.host, target.port);
    await proxy.listen();
    return proxy;
  }

  /** Listens in front of the host and port of `url`. */
  static forUrl(url: string): Promise<TcpProxy> {
    const u = new URL(url);
    return TcpProxy.start({ host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) });
  }

  /** `url` with its host and port replaced by the proxy's. */
  url(url: string): string {
    const u = new URL(url);
    u.host = `127.0.0.1:${this.port}`;
    return u.toString().replace(/\/$/, '');
  }

  get state(): 'open' | Cut {
    return this.mode;
  }

  async cut(how: Cut): Promise<void> {
    this.mode = how;
    this.resetAll();
    if (how === 'refuse') await this.closeListener();
    else if (!this.server) await this.listen();
  }

  /** Forwards again, on the same port. */
  async heal(): Promise<void> {
    this.resetAll();
    this.mode = 'open';
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    this.mode = 'refuse';
    this.resetAll();
    await this.closeListener();
  }

  private resetAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private async listen(): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  private async closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => this.sockets.delete(s));
  }

  private accept(client: net.Socket): void {
    this.connections++;
    this.track(client);
    if (this.mode !== 'open') return; // held open, never answered
    const upstream = net.connect(this.targetPort, this.targetHost);
    this.track(upstream);
    // A cut in between stops the data: 'blackhole' leaves the client waiting for an answer.
    client.on('data', (chunk) => void (this.mode === 'open' && upstream.write(chunk)));
    upstream.on('data', (chunk) => void (this.mode === 'open' && client.write(chunk)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
