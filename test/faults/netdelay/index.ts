// netem's "delay D J loss L" for kernels without sch_netem: iptables rules send a network
// namespace's packets to an NFQUEUE and netdelay.c (a small libnetfilter_queue program) holds each
// one for uniform(D-J, D+J) ms, or drops it with probability L %, before letting it go.
//
// What "200 ± 100 ms with 5 % loss on a host's link" means here: every packet that crosses the
// namespace's link is delayed once and may be lost once, in both directions (direction: 'both', the
// default). A request/reply over the link so takes two one-way delays: about 2 × D (200 to 600 ms,
// median near 400 ms for D = 200, J = 100), and each of the two packets is lost with 5 %. That is
// netem on both ends of the link; `direction: 'egress'` or `'ingress'` delays one side only, as
// netem on one interface does (a round trip then gains about D).
//
// The rules, all tagged `-m comment --comment weir-netdelay:q<queue>`, appended to the filter
// table of the namespace (so rules inserted at the top, like network.ts's cut(), still apply first):
//   OUTPUT -o <dev> -d <subnet> -m owner --socket-exists -j TEE --gateway <on-link address>
//   OUTPUT -o <dev> -d <subnet> -m owner --socket-exists -j NFQUEUE --queue-num <queue + 1>
//   OUTPUT ! -o lo -j NFQUEUE --queue-num <queue> --queue-bypass
//   INPUT  ! -i lo -j NFQUEUE --queue-num <queue> --queue-bypass
// The first two exist because a packet held at OUTPUT still counts against its TCP socket, whose
// small-queue limit (TSQ) then caps the sender near 15 KB/s: TEE sends an unowned copy (delayed by
// the third rule) and the original goes to queue + 1, which netdelay drops at once (see netdelay.c).
// They cover the namespace's connected subnets; traffic to routed destinations, and what a socket
// still sends after close(), is delayed the plain way, with that cap.
//
// Failure mode: --queue-bypass on the delay queue means that if netdelay dies, packets pass
// undelayed (the kernel drops the originals of the discard queue itself, which has no bypass, while
// the copies pass): a dead delayer heals the link rather than cutting it. stop() removes exactly
// these rules, in one iptables-restore transaction, and ends the process, which releases what it
// holds. Loss is decided in netdelay (seedable, counted) rather than by an iptables DROP, which at
// OUTPUT makes the sending socket's send fail with EPERM instead of losing the packet silently.
//
// Limits: IPv4 only (ARP and IPv6 pass undelayed); queue numbers `queue` and `queue + 1` are used;
// rules appended after these in OUTPUT/INPUT do not see delayed packets (NF_ACCEPT ends the chain).
// Needs root, iproute2, iptables (with the TEE, owner, NFQUEUE and comment extensions), gcc and
// libnetfilter-queue-dev.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('./netdelay.c', import.meta.url));
const CFLAGS = ['-O2', '-Wall', '-Wextra'];
const LIBS = ['-lnetfilter_queue', '-lnfnetlink'];
const INSTALL = 'apt-get install libnetfilter-queue-dev gcc';

/**
 * Compiles netdelay.c, once per version of its source, into $TMPDIR/weir-netdelay/netdelay-<hash>
 * and returns that path.
 */
export function ensureNetdelay(): string {
  const hash = createHash('sha256')
    .update(readFileSync(SOURCE))
    .update(JSON.stringify([CFLAGS, LIBS]))
    .digest('hex')
    .slice(0, 16);
  const dir = join(tmpdir(), 'weir-netdelay');
  const bin = join(dir, `netdelay-${hash}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The binary runs as root: only trust a cache directory that is ours.
  if (statSync(dir).uid !== process.getuid?.()) throw new Error(`netdelay: ${dir} belongs to another user`);
  if (existsSync(bin)) return bin;
  const tmp = `${bin}.${process.pid}.tmp`;
  try {
    execFileSync('gcc', [...CFLAGS, '-o', tmp, SOURCE, ...LIBS], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    rmSync(tmp, { force: true });
    const e = err as { code?: string; stderr?: Buffer; message: string };
    if (e.code === 'ENOENT') throw new Error(`netdelay: gcc is not installed; run: ${INSTALL}`);
    const out = e.stderr?.toString() ?? e.message;
    if (/libnetfilter_queue|libnfnetlink|cannot find -l/.test(out)) {
      throw new Error(`netdelay: the libnetfilter_queue headers or library are missing; run: ${INSTALL}\n${out}`);
    }
    throw new Error(`netdelay: gcc failed:\n${out}`);
  }
  renameSync(tmp, bin); // atomic: a concurrent build of the same source writes the same file
  return bin;
}

export interface DelayOptions {
  /** The network namespace whose link is degraded (`ip netns exec <netns> ...`). */
  netns: string;
  /**
   * Delay at the bridge instead: the packets the root namespace forwards to and from this address
   * (with br_netfilter, bridged IPv4 traffic crosses the root namespace's FORWARD chain). Forwarded
   * packets belong to no local socket, so neither TCP's small-queue limit nor the TEE copy applies,
   * and the copy's route is never needed; traffic between two namespaces on one bridge is delayed
   * this way (the TEE copy does not reach a namespace other than the gateway's). `netns` then
   * only names the host; the delayer runs in the root namespace.
   */
  forwardOf?: string;
  /** NFQUEUE number; `queue + 1` is used too (the discard queue). Queues are per namespace. */
  queue: number;
  /** One-way delay of each packet: uniform(delayMs - jitterMs, delayMs + jitterMs), at least 0. */
  delayMs: number;
  jitterMs: number;
  /** Chance that a packet crossing the link is lost, each direction, 0 to 100. */
  lossPercent: number;
  /** Seeds the jitter and loss decisions; random when absent. */
  seed?: number;
  /** Which packets: 'both' (default), 'egress' (leaving the namespace) or 'ingress' (entering it). */
  direction?: 'both' | 'egress' | 'ingress';
  /** SCHED_FIFO for the delayer, so busy processes do not make releases late (default true). */
  realtime?: boolean;
}

/** netdelay's counters, as of its last report (every 500 ms while traffic flows, and at exit). */
export interface DelayStats {
  /** Packets that reached the delay queue. */
  received: number;
  /** Packets released after their delay. */
  delayed: number;
  /** Packets dropped: the emulated loss. */
  dropped: number;
  /** Originals dropped from the discard queue (their unowned copies went through the delay queue). */
  discarded: number;
  /** Packets held right now, and at most. */
  held: number;
  maxHeld: number;
  /** Worst lateness of a release (µs): stays small while the delayer keeps up. */
  maxLateUs: number;
  /** Socket overflows, refused verdicts, and the kernel's drops for a full queue or socket: all 0 when healthy. */
  enobufs: number;
  verdictErrors: number;
  kernelQueueDropped: number;
  kernelUserDropped: number;
  /** Whether the delayer process is alive. */
  running: boolean;
}

export interface Delay {
  /** The delayer's pid (in the root pid namespace). */
  pid: number;
  stats(): DelayStats;
  /** Removes the rules, ends the delayer (held packets go at once) and waits for it. Idempotent. */
  stop(): Promise<void>;
}

function run(cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

const ipv4 = (s: string) => s.split('.').reduce((n, b) => n * 256 + Number(b), 0);
const dotted = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/**
 * The namespace's connected IPv4 subnets, each with an address of that subnet that is not the
 * namespace's own: TEE's --gateway. Its route has no gateway, so the kernel sends the copy to the
 * packet's own destination on that link.
 */
function onLinkSubnets(netns: string): { dev: string; dst: string; via: string }[] {
  const routes = JSON.parse(run('ip', ['-n', netns, '-4', '-j', 'route', 'show', 'table', 'main', 'proto', 'kernel', 'scope', 'link'])) as {
    dst: string;
    dev: string;
  }[];
  const addrs = JSON.parse(run('ip', ['-n', netns, '-4', '-j', 'addr', 'show'])) as { addr_info?: { local: string }[] }[];
  const local = new Set(addrs.flatMap((a) => (a.addr_info ?? []).map((i) => i.local)));
  const out: { dev: string; dst: string; via: string }[] = [];
  for (const r of routes) {
    if (r.dev === 'lo') continue;
    const [net, bits = '32'] = r.dst.split('/');
    const prefix = Number(bits);
    if (!net || prefix < 8) continue;
    const base = ipv4(net);
    // A host of the subnet: not its network or broadcast address (a /31 has neither, a /32 is one host).
    const hosts =
      prefix === 32
        ? [base]
        : prefix === 31
          ? [base, base + 1]
          : [base + 1, base + 2, base + 3].filter((h) => h < base + 2 ** (32 - prefix) - 1);
    const via = hosts.map(dotted).find((a) => !local.has(a));
    if (via) out.push({ dev: r.dev, dst: prefix === 32 ? `${net}/32` : r.dst, via });
  }
  return out;
}

function rulesFor(o: DelayOptions): string[][] {
  const tag = ['-m', 'comment', '--comment', `weir-netdelay:q${o.queue}`];
  if (o.forwardOf) {
    const q = ['-j', 'NFQUEUE', '--queue-num', String(o.queue), '--queue-bypass'];
    const direction = o.direction ?? 'both';
    return [
      ...(direction !== 'ingress' ? [['FORWARD', '-s', o.forwardOf, ...tag, ...q]] : []),
      ...(direction !== 'egress' ? [['FORWARD', '-d', o.forwardOf, ...tag, ...q]] : []),
    ];
  }
  const direction = o.direction ?? 'both';
  const rules: string[][] = [];
  if (direction !== 'ingress') {
    for (const s of onLinkSubnets(o.netns)) {
      const match = ['-o', s.dev, '-d', s.dst, '-m', 'owner', '--socket-exists', ...tag];
      rules.push(['OUTPUT', ...match, '-j', 'TEE', '--gateway', s.via]);
      rules.push(['OUTPUT', ...match, '-j', 'NFQUEUE', '--queue-num', String(o.queue + 1)]);
    }
    rules.push(['OUTPUT', '!', '-o', 'lo', ...tag, '-j', 'NFQUEUE', '--queue-num', String(o.queue), '--queue-bypass']);
  }
  if (direction !== 'egress') {
    rules.push(['INPUT', '!', '-i', 'lo', ...tag, '-j', 'NFQUEUE', '--queue-num', String(o.queue), '--queue-bypass']);
  }
  return rules;
}

/** Adds (-A) or deletes (-D) the rules in one transaction. */
/** Where the rules and the delayer live: the host's namespace, or the root one (forwardOf). */
const within = (netns: string | undefined, cmd: string, args: string[]): [string, string[]] =>
  netns ? ['ip', ['netns', 'exec', netns, cmd, ...args]] : [cmd, args];

function restore(netns: string | undefined, op: '-A' | '-D', rules: string[][]): void {
  const body = ['*filter', ...rules.map((r) => [op, ...r].join(' ')), 'COMMIT', ''].join('\n');
  run(...within(netns, 'iptables-restore', ['--noflush']), body);
}

/** Rules with this queue's tag left by a run that was killed before its stop(). */
function leftovers(netns: string | undefined, queue: number): string[][] {
  return run(...within(netns, 'iptables', ['-w', '-S']))
    .split('\n')
    .filter((l) => l.startsWith('-A ') && l.includes(`"weir-netdelay:q${queue}"`))
    .map((l) => l.slice(3).replace(/"/g, '').split(' '));
}

/**
 * Delays (and drops) the packets on `opts.netns`'s link until stop(): starts netdelay in that
 * namespace, waits until its queues are bound, then installs the rules.
 */
export async function startDelay(opts: DelayOptions): Promise<Delay> {
  const { queue, delayMs, jitterMs, lossPercent, seed } = opts;
  const netns = opts.forwardOf ? undefined : opts.netns;
  if (!Number.isInteger(queue) || queue < 0 || queue > 65534) throw new Error('netdelay: queue must be an integer from 0 to 65534');
  if (!(delayMs >= 0 && jitterMs >= 0)) throw new Error('netdelay: delayMs and jitterMs must be ≥ 0');
  if (!(lossPercent >= 0 && lossPercent <= 100)) throw new Error('netdelay: lossPercent must be from 0 to 100');
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new Error('netdelay: seed must be an integer');
  const bin = ensureNetdelay();
  const old = leftovers(netns, queue);
  if (old.length) restore(netns, '-D', old);
  const rules = rulesFor(opts);

  const args = ['--queue', String(queue), '--delay', String(delayMs), '--jitter', String(jitterMs), '--loss', String(lossPercent)];
  if (rules.some((r) => r.includes('TEE'))) args.push('--discard-queue', String(queue + 1));
  if (seed !== undefined) args.push('--seed', BigInt.asUintN(64, BigInt(seed)).toString());
  if (opts.realtime ?? true) args.push('--realtime');
  // --watch-stdin: the delayer exits when this process dies and its stdin pipe closes.
  const child = spawn(...within(netns, bin, [...args, '--stats-ms', '500', '--watch-stdin']), {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  let latest: Omit<DelayStats, 'running'> = {
    received: 0,
    delayed: 0,
    dropped: 0,
    discarded: 0,
    held: 0,
    maxHeld: 0,
    maxLateUs: 0,
    enobufs: 0,
    verdictErrors: 0,
    kernelQueueDropped: 0,
    kernelUserDropped: 0,
  };
  let running = true;
  // 'close', not 'exit': by then stdout is read to its end, the final stats line included.
  const exited = new Promise<void>((resolve) => {
    const gone = () => {
      running = false;
      resolve();
    };
    child.once('close', gone);
    child.once('error', gone); // `ip` could not be started: no 'close' follows
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`netdelay did not start within 10 s: ${stderr.trim()}`)), 10_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'ready') {
        clearTimeout(timer);
        resolve();
      } else if (line.startsWith('stats ')) {
        try {
          latest = JSON.parse(line.slice(6)) as typeof latest;
        } catch {
          // a torn line: the next report replaces it
        }
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`netdelay exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`));
    });
  });

  const end = async () => {
    if (!running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await ready;
    restore(netns, '-A', rules);
  } catch (err) {
    await end();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid!,
    stats: () => ({ ...latest, running }),
    stop: () =>
      (stopping ??= (async () => {
        // First the rules, so nothing new is queued; then the process releases what it holds.
        try {
          restore(netns, '-D', rules);
        } catch {
          // One already gone (a flushed chain, a deleted namespace): delete the others one by one.
          for (const r of rules) {
            try {
              restore(netns, '-D', [r]);
            } catch {
              // not there
            }
          }
        }
        await end();
      })()),
  };
}
