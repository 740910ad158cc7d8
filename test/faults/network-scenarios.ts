// Faults of a worker's network link (network.ts): cut off from every broker long enough for its
// group session to expire — a zombie made by the network, not by SIGSTOP: its process keeps running,
// its timers fire, its connections just carry nothing — then healed; and a slow, lossy link.
import { feed, size, type Scenario } from './scenarios.ts';
import { EVERY_STEP, SESSION_TIMEOUT_MS, type FaultRun } from './harness.ts';
import { brokerHost, NODE_IDS } from './brokers.ts';
import { cut, droppedPackets, heal } from './network.ts';
import type { WorkerSlot } from './stack.ts';
import { waitFor } from '../helpers/wait.ts';
import { startDelay } from './netdelay/index.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const brokerIps = () => NODE_IDS.map((id) => brokerHost(id).ip);
/** A worker's log line saying the group expelled it: its partitions lost, its transaction fenced. */
const expelled = (l: Record<string, unknown>) =>
  l.lost === true || /fenced|zombie|generation id is not valid|unknown member/i.test(String(l.msg ?? ''));

/**
 * A worker faulted before it owns partitions has no session to lose and no transaction to slow
 * (seen: a cut landed while the worker was still starting, and nothing was expelled).
 */
async function untilOwnsPartitions(run: FaultRun, slot: WorkerSlot): Promise<void> {
  const transform = run.step('process').name;
  await waitFor(
    () =>
      run.pool.processes.get(slot)!.logs.some((l) => l.step === transform && l.msg === 'assigned' && (l.partitions as number[]).length > 0),
    { timeoutMs: 60_000, intervalMs: 200, what: `worker ${slot}'s transform step to own partitions` },
  );
}

export const NETWORK_SCENARIOS: Scenario[] = [
  {
    name: 'worker-cut-off',
    fault: `cut a worker off from every broker past its session timeout (${SESSION_TIMEOUT_MS / 1000} s + 4–8 s), then heal`,
    short: true,
    options: (scale) => feed(scale, 45_000),
    inject: async (run, scale) => {
      for (let i = 0; i < size(scale, 3, 1) && run.feeding; i++) {
        await sleep(run.rnd.int(4_000, 8_000));
        const slot = run.opts.slots[run.rnd.int(0, run.opts.slots.length - 1)]! as WorkerSlot;
        const victim = run.stack.workerHosts.get(slot)!;
        await untilOwnsPartitions(run, slot);
        await sleep(run.rnd.int(1_000, 3_000));
        const at = Date.now();
        cut(victim, brokerIps());
        await sleep(SESSION_TIMEOUT_MS + run.rnd.int(4_000, 8_000));
        const dropped = droppedPackets(victim);
        heal(victim, brokerIps());
        const healedAt = Date.now();
        // Its requests resume with TCP's next retransmission; then it learns the group moved on.
        const logs = run.pool.processes.get(slot)!.logs;
        const from = logs.length;
        const noticedAt = await waitFor(() => (logs.slice(from).some(expelled) ? Date.now() : undefined), {
          timeoutMs: 60_000,
          intervalMs: 200,
          what: `worker ${slot} to notice it was expelled`,
        }).catch(() => undefined);
        // The harness's times, to read a miss against the worker log's own times (and its receivedAt).
        const t = (ms: number) => `+${((ms - run.startedAt) / 1000).toFixed(1)} s`;
        const seen = noticedAt
          ? `expulsion seen ${t(noticedAt)}`
          : `no expulsion seen in the ${logs.length - from} lines read by ${t(Date.now())}`;
        const kind = `cut worker ${slot} off ${t(at)} to ${t(healedAt)} (${dropped} packets dropped; ${seen})`;
        run.record(kind, at, EVERY_STEP, healedAt, dropped > 0 && noticedAt !== undefined);
      }
    },
    bit: (run, e) => ({
      name: 'the faults bit: packets were dropped and each healed worker found itself expelled',
      ok: run.faults.length > 0 && run.faults.every((f) => f.hit),
      detail: `${run.faults.map((f) => f.kind).join('; ')}; ${run.faults.filter((f) => f.hit).length} noticed; ${e.aborted} aborted records`,
    }),
  },
  {
    name: 'worker-latency-loss',
    fault: "200 ms ± 100 ms latency and 5 % packet loss on a worker's link for 30 s at a time while the feed runs",
    short: false,
    options: (scale) => feed(scale, 50_000),
    inject: async (run, scale) => {
      for (let i = 0; i < size(scale, 2, 1) && run.feeding; i++) {
        await sleep(run.rnd.int(4_000, 8_000));
        const slot = run.opts.slots[run.rnd.int(0, run.opts.slots.length - 1)]! as WorkerSlot;
        await untilOwnsPartitions(run, slot);
        const victim = run.stack.workerHosts.get(slot)!;
        const at = Date.now();
        // At the bridge: every packet between the worker and the brokers (startDelay's forwardOf).
        const delay = await startDelay({
          netns: victim.ns,
          forwardOf: victim.ip,
          queue: 7,
          delayMs: 200,
          jitterMs: 100,
          lossPercent: 5,
          seed: run.rnd.seed + i,
        });
        await sleep(30_000);
        const stats = delay.stats();
        await delay.stop();
        const output = run.reader.arrivals.filter((a) => a.at > at && a.at < Date.now()).length;
        run.record(
          `${slot}'s link degraded 30 s: ${stats.delayed} packets delayed, ${stats.dropped} dropped; ${output} records reached the output meanwhile`,
          at,
          EVERY_STEP,
          Date.now(),
          stats.delayed > 0 && stats.dropped > 0,
        );
      }
    },
    bit: (run, e) => ({
      name: 'the faults bit: packets on the link were delayed and dropped',
      ok: run.faults.length > 0 && run.faults.every((f) => f.hit),
      detail: `${run.faults.map((f) => f.kind).join('; ')}; ${e.aborted} aborted records`,
    }),
  },
];
