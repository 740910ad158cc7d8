// The fault suite's netem stand-in (test/faults/netdelay), for real: a namespace `wfd-a` joined to
// the root namespace by a veth pair (wfd0 10.97.0.1 here, eth0 10.97.0.2 there), a TCP echo server
// in the namespace, and this process timing round trips to it. startDelay() delays every packet that
// crosses the link once, each way, so with 200 ± 100 ms a round trip takes two one-way delays: 200 to
// 600 ms, median near 400. Bounds are generous: two cores shared with Kafka brokers.
// Needs root and iproute2 + iptables (skipped otherwise, saying so); gcc and libnetfilter-queue-dev
// are required (a clear failure from ensureNetdelay() names the packages).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNetdelay, startDelay, type Delay } from '../faults/netdelay/index.ts';

const NS = 'wfd-a';
const VETH = 'wfd0';
const ROOT_IP = '10.97.0.1';
const NS_IP = '10.97.0.2';
const PORT = 7407;
const QUEUE = 41;

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, iptables)';
  try {
    execFileSync('sh', ['-c', 'command -v ip && command -v iptables && command -v iptables-restore'], { stdio: 'ignore' });
  } catch {
    return 'needs iproute2 (ip) and iptables';
  }
  return undefined;
}
const why = missing();
const can = why === undefined;
const title = (name: string) => (can ? name : `${name} — skipped: ${why}`);

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const quiet = (cmd: string, args: string[]) => {
  try {
    sh(cmd, args);
  } catch {
    // already gone
  }
};

function netDown(): void {
  quiet('ip', ['netns', 'del', NS]); // takes its veth end, and so the pair, with it
  quiet('ip', ['link', 'del', VETH]);
}

// The echo server, inside the namespace; it ends when its stdin (this process) goes.
const ECHO = `
const net = require('node:net');
net.createServer((s) => { s.setNoDelay(true); s.on('error', () => {}); s.pipe(s); })
  .listen(${PORT}, '0.0.0.0', () => console.log('ready'));
process.stdin.on('end', () => process.exit(0)).resume();
`;

/** One connection; `rtts(n)` times n sequential 16-byte echoes; `echo(bytes)` sends and reads them back. */
async function connect(): Promise<{ rtts(n: number): Promise<number[]>; echo(data: Buffer): Promise<Buffer>; close(): void }> {
  const socket = net.connect({ host: NS_IP, port: PORT, localAddress: ROOT_IP });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const chunks: Buffer[] = [];
  let have = 0;
  let want = 0;
  let done: (() => void) | undefined;
  socket.on('data', (b: Buffer) => {
    chunks.push(b);
    have += b.length;
    if (done && have >= want) done();
  });
  const read = (n: number) =>
    new Promise<Buffer>((resolve) => {
      want = n;
      done = () => {
        done = undefined;
        const all = Buffer.concat(chunks);
        chunks.length = 0;
        chunks.push(all.subarray(n));
        have -= n;
        resolve(all.subarray(0, n));
      };
      if (have >= want) done();
    });
  return {
    async rtts(n) {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        socket.write(Buffer.alloc(16, i));
        await read(16);
        out.push(performance.now() - t);
      }
      return out;
    },
    async echo(data) {
      const back = read(data.length);
      socket.write(data);
      return back;
    },
    close: () => socket.destroy(),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => xs.map((x) => Math.round(x)).join(' ');
const rulesInNs = () => sh('ip', ['netns', 'exec', NS, 'iptables', '-w', '-S']);

describe('netdelay: netem-like delay and loss on a namespace link', () => {
  let server: ChildProcess | undefined;
  const delays: Delay[] = [];

  beforeAll(async () => {
    if (!can) return;
    ensureNetdelay(); // fails clearly when gcc or libnetfilter-queue-dev are missing
    netDown();
    sh('ip', ['netns', 'add', NS]);
    sh('ip', ['link', 'add', VETH, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NS]);
    sh('ip', ['addr', 'add', `${ROOT_IP}/24`, 'dev', VETH]);
    sh('ip', ['link', 'set', VETH, 'up']);
    sh('ip', ['-n', NS, 'addr', 'add', `${NS_IP}/24`, 'dev', 'eth0']);
    sh('ip', ['-n', NS, 'link', 'set', 'eth0', 'up']);
    sh('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    const s = spawn('ip', ['netns', 'exec', NS, process.execPath, '-e', ECHO], { stdio: ['pipe', 'pipe', 'inherit'] });
    server = s;
    await new Promise<void>((resolve, reject) => {
      s.stdout!.once('data', () => resolve());
      s.once('exit', (code) => reject(new Error(`echo server exited (${code})`)));
    });
  });

  afterAll(async () => {
    for (const d of delays) await d.stop().catch(() => {});
    server?.stdin?.end();
    server?.kill();
    if (can) netDown();
  });

  it.runIf(can)(title('without a delay, round trips take under 20 ms'), async () => {
    const c = await connect();
    const rtts = await c.rtts(10);
    c.close();
    console.log(`no delay: RTTs ${fmt(rtts)} ms`);
    expect(median(rtts)).toBeLessThan(20);
  });

  it.runIf(can)(
    title('200 ± 100 ms each way: round trips of 200 to 600 ms, and a bulk transfer out of the namespace is not throttled'),
    async () => {
      const d = await startDelay({ netns: NS, queue: QUEUE, delayMs: 200, jitterMs: 100, lossPercent: 0, seed: 1 });
      delays.push(d);
      expect(rulesInNs()).toContain(`weir-netdelay:q${QUEUE}`);
      const c = await connect();
      const rtts = await c.rtts(15);
      const sorted = [...rtts].sort((a, b) => a - b);
      console.log(`200 ± 100 ms: RTTs ${fmt(rtts)} ms; median ${Math.round(median(rtts))}`);
      // Each of the two packets is held at least 100 ms: a round trip under ~200 ms means a direction was missed.
      expect(sorted[0]).toBeGreaterThanOrEqual(190);
      expect(median(rtts)).toBeGreaterThan(280);
      expect(median(rtts)).toBeLessThan(750);
      expect(sorted.at(-1)! - sorted[0]!).toBeGreaterThan(40); // jitter, not a constant delay

      // 2 MB echoed: it comes back out of the namespace through TCP senders there. Held the plain way
      // (the packet still owned by its socket), TCP's small-queue limit would cap that near 15 KB/s.
      const data = randomBytes(2 << 20);
      const t = performance.now();
      const back = await c.echo(data);
      const seconds = (performance.now() - t) / 1000;
      c.close();
      const kbs = data.length / 1024 / seconds;
      console.log(`200 ± 100 ms: 2 MB echoed in ${seconds.toFixed(1)} s (${Math.round(kbs)} KB/s each way)`);
      expect(back.equals(data)).toBe(true);
      expect(kbs).toBeGreaterThan(100);

      await d.stop();
      const s = d.stats();
      console.log(`200 ± 100 ms: delayer ${JSON.stringify(s)}`);
      expect(s.running).toBe(false);
      expect(s.delayed).toBeGreaterThan(2 * 15);
      expect(s.dropped).toBe(0);
      expect(s.discarded).toBeGreaterThan(0); // originals whose unowned copies were delayed
      expect(s.kernelQueueDropped + s.kernelUserDropped + s.enobufs + s.verdictErrors).toBe(0);
      expect(rulesInNs()).not.toContain('weir-netdelay');
    },
  );

  it.runIf(can)(title('with 5 % loss as well, a 256 KB echo still completes intact; about 5 % of packets are dropped'), async () => {
    const d = await startDelay({ netns: NS, queue: QUEUE, delayMs: 200, jitterMs: 100, lossPercent: 5, seed: 2 });
    delays.push(d);
    const c = await connect();
    const data = randomBytes(256 << 10);
    const t = performance.now();
    const back = await c.echo(data);
    const seconds = (performance.now() - t) / 1000;
    const rtts = await c.rtts(10);
    c.close();
    await d.stop();
    const s = d.stats();
    const lost = s.dropped / s.received;
    console.log(
      `200 ± 100 ms, 5 % loss: 256 KB echoed in ${seconds.toFixed(1)} s; RTTs ${fmt(rtts)} ms; ` +
        `${s.dropped} of ${s.received} packets dropped (${(100 * lost).toFixed(1)} %); delayer ${JSON.stringify(s)}`,
    );
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    expect(s.received).toBeGreaterThan(200);
    expect(lost).toBeGreaterThan(0.01);
    expect(lost).toBeLessThan(0.12);
    expect(rulesInNs()).not.toContain('weir-netdelay');
  });

  it.runIf(can)(title('egress only: a round trip gains one delay (as netem on one interface)'), async () => {
    const d = await startDelay({ netns: NS, queue: QUEUE, delayMs: 200, jitterMs: 100, lossPercent: 0, direction: 'egress' });
    delays.push(d);
    const c = await connect();
    const rtts = await c.rtts(8);
    c.close();
    await d.stop();
    console.log(`egress only: RTTs ${fmt(rtts)} ms`);
    expect(Math.min(...rtts)).toBeGreaterThanOrEqual(95);
    expect(median(rtts)).toBeLessThan(400);
  });

  it.runIf(can)(title('a killed delayer leaves the link working, undelayed (--queue-bypass); stop() still cleans up'), async () => {
    const d = await startDelay({ netns: NS, queue: QUEUE, delayMs: 200, jitterMs: 100, lossPercent: 5 });
    delays.push(d);
    const c = await connect();
    process.kill(d.pid, 'SIGKILL');
    await expect.poll(() => d.stats().running).toBe(false);
    expect(rulesInNs()).toContain(`weir-netdelay:q${QUEUE}`); // the rules are still there
    const rtts = await c.rtts(10);
    const back = await c.echo(randomBytes(64 << 10));
    c.close();
    console.log(`killed delayer: RTTs ${fmt(rtts)} ms`);
    expect(median(rtts)).toBeLessThan(50);
    expect(back.length).toBe(64 << 10);
    await d.stop();
    expect(rulesInNs()).not.toContain('weir-netdelay');
  });
});
