// The fault suite's private network: each broker and each worker is a host of its own — a Linux
// network namespace joined to a bridge in the root namespace by a veth pair — so a fault can cut or
// degrade one host's link while every other process keeps talking. The test process stays in the
// root namespace (10.99.0.1, the bridge) and reaches every host directly.
//
// Postgres, Redis, the registry and the HTTP receiver listen on 127.0.0.1 in the root namespace;
// hosts reach them at 10.99.0.1 (same ports): a DNAT rule on the bridge rewrites that address to
// 127.0.0.1, which `route_localnet` lets the kernel route. Needs root and iproute2 + iptables.
import { execFileSync } from 'node:child_process';

export const BRIDGE = 'wf0';
/** The root namespace's address on the bridge: what hosts use for the services on 127.0.0.1. */
export const HOST_IP = '10.99.0.1';
export const SUBNET = '10.99.0.0/24';
const TAG = ['-m', 'comment', '--comment', 'weir-faults'];

export interface Host {
  name: string;
  /** The network namespace. */
  ns: string;
  ip: string;
  /** The veth end on the bridge (≤ 15 characters). */
  veth: string;
}

export const host = (name: string, octet: number): Host => ({ name, ns: `wf-${name}`, ip: `10.99.0.${octet}`, veth: `wf${name}` });

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`);
  }
}
const quiet = (cmd: string, args: string[]) => {
  try {
    sh(cmd, args);
    return true;
  } catch {
    return false;
  }
};

/** The command prefix that runs a program inside `h`'s namespace (ip execs it: same pid). */
export const inHost = (h: Host): string[] => ['ip', 'netns', 'exec', h.ns];

const dnat = ['PREROUTING', '-i', BRIDGE, '-d', HOST_IP, '-p', 'tcp', ...TAG, '-j', 'DNAT', '--to-destination', '127.0.0.1'];

/** Removes everything netUp made (and what an earlier, killed run left). */
export function netDown(): void {
  for (const line of quiet('ip', ['netns', 'list']) ? sh('ip', ['netns', 'list']).split('\n') : []) {
    const ns = line.split(' ')[0];
    if (ns?.startsWith('wf-')) quiet('ip', ['netns', 'del', ns]);
  }
  quiet('ip', ['link', 'del', BRIDGE]);
  while (quiet('iptables', ['-t', 'nat', '-D', ...dnat]));
}

/** The bridge, the DNAT to the root namespace's services, and one namespace per host. */
export function netUp(hosts: Host[]): void {
  if (process.getuid?.() !== 0) throw new Error('the fault suite builds network namespaces and needs root');
  netDown();
  sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  sh('ip', ['addr', 'add', `${HOST_IP}/24`, 'dev', BRIDGE]);
  sh('ip', ['link', 'set', BRIDGE, 'up']);
  sh('sysctl', ['-qw', `net.ipv4.conf.${BRIDGE}.route_localnet=1`]);
  sh('iptables', ['-t', 'nat', '-A', ...dnat]);
  for (const h of hosts) {
    sh('ip', ['netns', 'add', h.ns]);
    sh('ip', ['link', 'add', h.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns]);
    sh('ip', ['link', 'set', h.veth, 'master', BRIDGE, 'up']);
    sh('ip', ['-n', h.ns, 'addr', 'add', `${h.ip}/24`, 'dev', 'eth0']);
    sh('ip', ['-n', h.ns, 'link', 'set', 'eth0', 'up']);
    sh('ip', ['-n', h.ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', h.ns, 'route', 'add', 'default', 'via', HOST_IP]);
  }
}

/**
 * Drops every packet between `h` and `peers` (both directions, inside h's namespace): TCP
 * connections are not reset, they stall — what a failed switch port or a firewall change does.
 */
export function cut(h: Host, peers: string[]): void {
  for (const ip of peers) {
    sh('ip', ['netns', 'exec', h.ns, 'iptables', '-I', 'INPUT', '-s', ip, ...TAG, '-j', 'DROP']);
    sh('ip', ['netns', 'exec', h.ns, 'iptables', '-I', 'OUTPUT', '-d', ip, ...TAG, '-j', 'DROP']);
  }
}

/** Undoes cut(h, peers): deletes exactly its rules (a delay's NFQUEUE rules may be there too). */
export function heal(h: Host, peers: string[]): void {
  for (const ip of peers) {
    quiet('ip', ['netns', 'exec', h.ns, 'iptables', '-D', 'INPUT', '-s', ip, ...TAG, '-j', 'DROP']);
    quiet('ip', ['netns', 'exec', h.ns, 'iptables', '-D', 'OUTPUT', '-d', ip, ...TAG, '-j', 'DROP']);
  }
}

/** Packets dropped by cut()'s rules in `h` so far: the proof a cut bit. */
export function droppedPackets(h: Host): number {
  const out = sh('ip', ['netns', 'exec', h.ns, 'iptables', '-L', '-v', '-x', '-n']);
  return out
    .split('\n')
    .filter((l) => /\bDROP\b/.test(l) && l.includes('weir-faults'))
    .reduce((n, l) => n + Number(l.trim().split(/\s+/)[0] ?? 0), 0);
}
