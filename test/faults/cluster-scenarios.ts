// Faults of the three-node cluster: SIGKILL the leader of a partition a transaction is writing, the
// coordinator of a worker's transactional id, the active controller; cut a partition's leader off
// from the other brokers. Each fault is aimed (the victim is looked up at that moment) and records
// whether it hit: leadership moved, a new coordinator or controller took over.
import type { Check, Evidence } from './invariants.ts';
import type { FaultRun } from './harness.ts';
import { EVERY_STEP, SESSION_TIMEOUT_MS } from './harness.ts';
import { brokerHost, NODE_IDS } from './brokers.ts';
import { cut, droppedPackets, heal } from './network.ts';
import { backInSync, leaderOf, leadershipMoved, transactionCoordinator, transactionStatePartition } from './placement.ts';
import { openTransactionPartitions } from './transactions.ts';
import { feed, size, type Scenario } from './scenarios.ts';
import { waitFor } from '../helpers/wait.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Faults spread over the feed: `planned` of them, then more while the feed lasts until `enough`
 * says the faults bit (a kill between two transactions may abort nothing), at most four more.
 */
async function repeatDuringFeed(run: FaultRun, planned: number, inject: () => Promise<void>, enough: () => boolean): Promise<void> {
  const gap = run.opts.durationMs / (planned + 2);
  for (let i = 0; run.feeding; i++) {
    if (i >= planned) {
      await sleep(SESSION_TIMEOUT_MS + 4_000);
      if (i >= planned + 4 || !run.feeding || enough()) break;
    } else await sleep(run.rnd.int(gap * 0.5, gap * 0.9));
    await inject();
  }
}

/** The victim partition: one a transaction is writing right now, else any output partition. */
async function busyPartition(run: FaultRun) {
  const open = await openTransactionPartitions(run, [run.topic('out')], 3_000);
  const tp = open.length > 0 ? open[run.rnd.int(0, open.length - 1)]! : { topic: run.topic('out'), partition: run.rnd.int(0, 5) };
  return { tp, inside: open.length > 0 };
}

const hits = (run: FaultRun) => run.faults.filter((f) => f.hit).length;
const allHit = (run: FaultRun, what: string, e: Evidence): Check => ({
  name: `the faults bit: ${what}`,
  ok: run.faults.length > 0 && run.faults.every((f) => f.hit),
  detail: `${hits(run)}/${run.faults.length} faults hit; ${run.faults.filter((f) => f.kind.includes('inside')).length} inside an open transaction; ${e.aborted} aborted records`,
});

/**
 * SIGKILLs `node`, waits until `tookOver` says the cluster went on without it, restarts it 1–4 s
 * later (healed then), and returns once it is back in sync, so that the next fault meets a whole cluster.
 */
async function killAndRestart(
  run: FaultRun,
  node: number,
  tookOver: () => Promise<boolean>,
): Promise<{ at: number; hit: boolean; healedAt: number }> {
  const at = Date.now();
  await run.stack.cluster.kill(node);
  const hit = await tookOver();
  await sleep(run.rnd.int(1_000, 4_000));
  await run.stack.cluster.start(node);
  const healedAt = Date.now();
  await backInSync(run.conn, node, ['__transaction_state', '__consumer_offsets', run.topic('in'), run.topic('out')]);
  return { at, hit, healedAt };
}

const LEADER_KILL: Scenario = {
  name: 'leader-kill',
  fault: 'SIGKILL the leader of an output partition while a transaction writes to it, restart it',
  short: true,
  options: (scale) => feed(scale, 60_000),
  inject: (run, scale) =>
    repeatDuringFeed(
      run,
      size(scale, 3, 1),
      async () => {
        const { tp, inside } = await busyPartition(run);
        const leader = await leaderOf(run.conn, tp);
        const { at, hit, healedAt } = await killAndRestart(run, leader, () => leadershipMoved(run.conn, tp, leader));
        run.record(
          `SIGKILL node ${leader}, leader of ${tp.topic}/${tp.partition}${inside ? ' inside a transaction' : ''}`,
          at,
          EVERY_STEP,
          healedAt,
          hit,
        );
      },
      () => run.faults.some((f) => f.kind.includes('inside')),
    ),
  bit: (run, e) => allHit(run, 'every killed node led the partition, and leadership moved', e),
};

/**
 * The suite must see the bug it exists to catch: leader-kill on a deliberately broken build whose
 * workers commit the last processed offset instead of the next one (WEIR_TEST_BREAK). The checks
 * must report duplicates.
 */
export const SELF_CHECK_OFFSETS: Scenario = {
  ...LEADER_KILL,
  name: 'self-check-offset-off-by-one',
  fault: 'leader-kill with a broken build that commits offsets off by one (`WEIR_TEST_BREAK`): the checks must report duplicates',
  options: (scale) => ({ ...LEADER_KILL.options(scale), workerEnv: { WEIR_TEST_BREAK: 'offset-off-by-one' } }),
  bit: (run, e) => ({
    name: 'the harness saw the duplicates the broken build makes',
    ok: e.outputDuplicates > 0,
    detail: `${e.outputDuplicates} duplicated ids in the output; ${run.faults.length} leader kills`,
  }),
};

export const CLUSTER_SCENARIOS: Scenario[] = [
  LEADER_KILL,
  {
    name: 'coordinator-kill',
    fault: "SIGKILL the transaction coordinator of a worker's transactional id while its transaction is open, restart it",
    short: false,
    options: (scale) => feed(scale, 60_000),
    inject: (run, scale) =>
      repeatDuringFeed(
        run,
        size(scale, 3, 1),
        async () => {
          const slot = run.opts.slots[run.rnd.int(0, run.opts.slots.length - 1)]!;
          const transactionalId = `${run.step('process').transactionalIdPrefix}${slot}`;
          const inside = (await openTransactionPartitions(run, [run.topic('out')], 3_000)).length > 0;
          const coordinator = await transactionCoordinator(run.conn, transactionalId);
          const state = transactionStatePartition(transactionalId);
          const { at, hit, healedAt } = await killAndRestart(run, coordinator, () => leadershipMoved(run.conn, state, coordinator));
          run.record(
            `SIGKILL node ${coordinator}, coordinator of ${transactionalId}${inside ? ' inside a transaction' : ''}`,
            at,
            EVERY_STEP,
            healedAt,
            hit,
          );
        },
        () => run.faults.some((f) => f.kind.includes('inside')),
      ),
    bit: (run, e) => allHit(run, 'each killed node coordinated the transactional id, and another took over', e),
  },
  {
    name: 'controller-kill',
    fault: 'SIGKILL the active controller (a combined broker and controller node), restart it',
    short: false,
    options: (scale) => feed(scale, 60_000),
    inject: (run, scale) =>
      repeatDuringFeed(
        run,
        size(scale, 3, 1),
        async () => {
          const controller = run.stack.cluster.activeController();
          const { at, hit, healedAt } = await killAndRestart(run, controller.id, () =>
            waitFor(
              () => {
                const now = run.stack.cluster.activeController();
                return now.epoch > controller.epoch && now.id !== controller.id ? true : undefined;
              },
              { timeoutMs: 60_000, intervalMs: 250, what: 'a new active controller' },
            ).catch(() => false),
          );
          run.record(`SIGKILL node ${controller.id}, the active controller (epoch ${controller.epoch})`, at, EVERY_STEP, healedAt, hit);
        },
        () => true,
      ),
    bit: (run, e) => allHit(run, 'each killed node was the active controller, and another was elected', e),
  },
  {
    name: 'partitioned-leader',
    fault: 'cut the leader of an output partition off from the other brokers (clients still reach it) for 25 s, heal',
    short: false,
    options: (scale) => feed(scale, 60_000),
    inject: (run, scale) =>
      repeatDuringFeed(
        run,
        size(scale, 2, 1),
        async () => {
          const { tp, inside } = await busyPartition(run);
          const leader = await leaderOf(run.conn, tp);
          const isolated = brokerHost(leader);
          const others = NODE_IDS.filter((id) => id !== leader).map((id) => brokerHost(id).ip);
          // Asked of the two brokers that still form a majority: the cut-off one may answer stale.
          const majority = { ...run.conn, bootstrapServers: run.stack.cluster.bootstrapWithout(leader) };
          const at = Date.now();
          cut(isolated, others);
          const moved = await leadershipMoved(majority, tp, leader, 25_000);
          await sleep(Math.max(0, at + 25_000 - Date.now()));
          const dropped = droppedPackets(isolated);
          heal(isolated, others);
          run.record(
            `cut node ${leader} (leader of ${tp.topic}/${tp.partition}${inside ? ', inside a transaction' : ''}) off for 25 s, ${dropped} packets dropped`,
            at,
            EVERY_STEP,
            Date.now(),
            moved && dropped > 0,
          );
        },
        () => true,
      ),
    bit: (run, e) => allHit(run, 'the cut dropped packets and leadership moved to the majority side', e),
  },
];
