// One broker connection speaking the classic protocol, with TLS and SASL (PLAIN, SCRAM) when the
// cluster needs them — for the few admin calls made without the client library.
import { connect as tcpConnect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { Reader, Writer, frame } from './wire.ts';
import { ScramClient, type ScramMechanism } from './scram.ts';

export interface ProtocolSecurity {
  protocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  mechanism?: 'PLAIN' | ScramMechanism | 'OAUTHBEARER';
  username?: string;
  password?: string;
  caFile?: string;
}

const API = { saslHandshake: 17, saslAuthenticate: 36 } as const;

export class BrokerConnection {
  private buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  private constructor(
    private readonly socket: Socket,
    private readonly clientId: string,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (err) => this.failAll(err));
    socket.on('close', () => this.failAll(new Error('broker connection closed')));
  }

  static async open(bootstrap: string, security: ProtocolSecurity, clientId = 'weir-admin', timeoutMs = 10_000): Promise<BrokerConnection> {
    const [host, portText] = bootstrap
      .split(',')[0]!
      .trim()
      .split(/:(?=\d+$)/) as [string, string];
    const port = Number(portText);
    const tls = security.protocol === 'SSL' || security.protocol === 'SASL_SSL';
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = tls
        ? tlsConnect({ host, port, servername: host, ...(security.caFile ? { ca: readFileSync(security.caFile) } : {}) }, () => resolve(s))
        : tcpConnect({ host, port }, () => resolve(s));
      s.setTimeout(timeoutMs, () => s.destroy(new Error(`connecting to ${bootstrap} timed out`)));
      s.once('error', reject);
    });
    socket.setTimeout(0);
    const conn = new BrokerConnection(socket, clientId);
    if (security.protocol.startsWith('SASL')) await conn.authenticate(security);
    return conn;
  }

  private onData(d: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, d]);
    while (this.buffer.length >= 4) {
      const size = this.buffer.readInt32BE(0);
      if (this.buffer.length < 4 + size) return;
      const message = this.buffer.subarray(4, 4 + size);
      this.buffer = this.buffer.subarray(4 + size);
      const id = message.readInt32BE(0);
      this.pending.get(id)?.resolve(message.subarray(4));
      this.pending.delete(id);
    }
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  request(apiKey: number, version: number, body: Buffer): Promise<Reader> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (b) => resolve(new Reader(b)), reject });
      this.socket.write(frame(apiKey, version, id, this.clientId, body));
    });
  }

  private async authenticate(s: ProtocolSecurity): Promise<void> {
    const mechanism = s.mechanism ?? 'PLAIN';
    if (mechanism === 'OAUTHBEARER')
      throw new Error('OAUTHBEARER is not supported for topic config changes; the rest of weir supports it through librdkafka');
    const hs = await this.request(API.saslHandshake, 1, new Writer().string(mechanism).build());
    const code = hs.int16();
    if (code !== 0)
      throw new Error(
        `SASL handshake for ${mechanism} failed (error ${code}); the broker offers ${hs.array((r) => r.string()).join(', ')}`,
      );
    const auth = async (bytes: Buffer) => {
      const r = await this.request(API.saslAuthenticate, 1, new Writer().bytes(bytes).build());
      const err = r.int16();
      const message = r.string();
      const out = r.bytes() ?? Buffer.alloc(0);
      if (err !== 0) throw new Error(`SASL authentication failed: ${message ?? `error ${err}`}`);
      return out;
    };
    if (mechanism === 'PLAIN') {
      await auth(Buffer.from(`\u0000${s.username ?? ''}\u0000${s.password ?? ''}`));
      return;
    }
    const scram = new ScramClient(mechanism, s.username ?? '', s.password ?? '');
    const serverFirst = await auth(scram.first());
    scram.verify(await auth(scram.final(serverFirst)));
  }

  close(): void {
    this.socket.end();
  }
}
