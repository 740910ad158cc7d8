// Faults of a worker's network link (network.ts): cut off from every broker long enough for its
// group session to expire — a zombie made by the network, not by SIGSTOP: its process keeps running,
// its timers fire, its connections just carry nothing — then healed.
import type { Scale, Scenario } from './scenarios.ts';
import { SESSION_TIMEOUT_MS } from './harness.ts';
import { brokerHost, NODE_IDS } from './brokers.ts';
import { cut, droppedPackets, heal } from './network.ts';
import type { WorkerSlot } from './stack.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const size = (scale: Scale, full: number, short: number) => (scale === 'full' ? full : short);
const brokerIps = () => NODE_IDS.map((id) => brokerHost(id).ip);

export const NETWORK_SCENARIOS: Scenario[] = [
  {
    name: 'worker-cut-off',
    fault: `cut a worker off from every broker past its session timeout (${SESSION_TIMEOUT_MS / 1000} s + 4–8 s), then heal`,
    short: true,
    options: (scale) => ({ records: size(scale, 100_000, 4_000), durationMs: size(scale, 150_000, 45_000), slots: ['a', 'b'] }),
    inject: async (run, scale) => {
      for (let i = 0; i < size(scale, 3, 1) && run.feeding; i++) {
        await sleep(run.rnd.int(5_000, 10_000));
        const slot = run.opts.slots[run.rnd.int(0, run.opts.slots.length - 1)]! as WorkerSlot;
        const victim = run.stack.workerHosts.get(slot)!;
        const at = Date.now();
        cut(victim, brokerIps());
        await sleep(SESSION_TIMEOUT_MS + run.rnd.int(4_000, 8_000));
        const dropped = droppedPackets(victim);
        heal(victim, brokerIps());
        run.record(`cut worker ${slot} off (${dropped} packets dropped)`, at, 'output', Date.now(), dropped > 0);
      }
    },
    bit: (run, e) => {
      // The healed worker learns it lost its partitions (a new generation took them) or is fenced.
      const noticed = run.pool.history.flatMap((w) => w.logs).filter((l) => l.lost === true || /fenced|zombie/i.test(String(l.msg))).length;
      const dropped = run.faults.every((f) => f.hit);
      return {
        name: 'the faults bit: packets were dropped and the healed worker found itself expelled',
        ok: run.faults.length > 0 && dropped && noticed > 0,
        detail: `${run.faults.map((f) => f.kind).join('; ')}; ${noticed} lost/fenced notices; ${e.aborted} aborted records`,
      };
    },
  },
];
