// The exactly-once worker under faults, as `weir run` processes on the real broker: SIGKILL at
// random moments and at the protocol's crash points, scaling 1 → 3 → 1, and a zombie. After each:
// every input once in the read_committed output, per-key order, and aborted data visible to a
// read_uncommitted reader (the faults really hit open transactions). Self-checks run the same
// scenario with the offsets broken and must see duplicates.
import { describe, expect, it } from 'vitest';
import { CLEAN, decodeEvents, eventRecords, makeEvents, verifyOutput, type Verdict } from '../helpers/events.ts';
import { produceAll, produceOverTime, readAll, waitForGroupCaughtUp } from '../helpers/kafka.ts';
import { createPipeline, transformTopology, type TestPipeline } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';
import { seededRandom, WorkerPool } from '../helpers/workers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const topology = transformTopology({ partitions: 3, transform: 'slow', batch: '{ records: 100, time: 50ms }' });

async function outcome(
  p: TestPipeline,
  events: ReturnType<typeof makeEvents>,
  pool: WorkerPool,
  until: 'group-caught-up' | 'all-ids-out' = 'group-caught-up',
): Promise<{ verdict: Verdict; committed: number; uncommitted: number }> {
  const done =
    until === 'group-caught-up'
      ? waitForGroupCaughtUp(p.plan.steps[0]!.group, p.topic('in'), 120_000)
      : waitFor(async () => verifyOutput(await decodeEvents(await readAll(p.topic('out'))), events).missing.length === 0, {
          timeoutMs: 120_000,
          intervalMs: 1_000,
          what: 'every id in the output',
        });
  await done.catch((err: Error) => {
    throw new Error(`${err.message}\n${pool.dump()}`);
  });
  const committed = await readAll(p.topic('out'), { isolation: 'read_committed' });
  const uncommitted = await readAll(p.topic('out'), { isolation: 'read_uncommitted' });
  return { verdict: verifyOutput(await decodeEvents(committed), events), committed: committed.length, uncommitted: uncommitted.length };
}

describe('exactly-once under faults (weir run processes)', { timeout: 400_000 }, () => {
  it('two workers, 20k keyed Avro records, SIGKILLed at random moments and at crash points', async () => {
    const rnd = seededRandom();
    console.log(`fault seed ${rnd.seed} (replay with WEIR_FAULT_SEED=${rnd.seed})`);
    const p = await createPipeline(topology);
    const events = makeEvents(20_000, 60);
    const pool = new WorkerPool(p, { env: { SLOW_MS: '1' } });
    pool.start('a');
    pool.start('b');
    let producing = true;
    const feed = produceOverTime(await eventRecords(p.topic('in'), events), 20, 1_000).finally(() => (producing = false));
    // While records arrive, every other restart arms a crash point: that process then kills itself
    // at an exact protocol step, so it is left alone until it does; the others are SIGKILLed at
    // random moments. Once the feed ends an idle process never reaches its point: all are victims.
    const crashPoints = ['after-produce', 'after-send-offsets'];
    const armed = new Map<string, string>();
    let restarts = 0;
    const restart = (slot: string) => {
      const point = producing && restarts % 2 === 0 ? crashPoints[(restarts / 2) % 2]! : undefined;
      restarts++;
      if (point) armed.set(slot, point);
      else armed.delete(slot);
      pool.start(slot, point ? { WEIR_TEST_CRASH: `${point}:${rnd.int(1, 3)}` } : {});
    };
    const selfKilled = () => pool.logged(/test crash point/).length;
    const faultsUntil = Date.now() + 150_000;
    while (producing || pool.kills + selfKilled() < 6 || selfKilled() < 2) {
      if (Date.now() > faultsUntil)
        throw new Error(`faults incomplete after 150 s: ${pool.kills} SIGKILL, ${selfKilled()} crash points\n${pool.dump()}`);
      await sleep(rnd.int(1_500, 3_500));
      for (const slot of ['a', 'b']) if (!pool.alive(slot)) restart(slot);
      const victims = ['a', 'b'].filter((slot) => !producing || !armed.has(slot));
      if (victims.length === 0) continue;
      const slot = victims[rnd.int(0, victims.length - 1)]!;
      await pool.kill(slot);
      restart(slot);
    }
    await feed;
    // Restart both slots unarmed: a process armed with a crash point could still die after this,
    // and a crashed transactional id that never returns holds the LSO until its transaction times out.
    await pool.kill('a');
    await pool.kill('b');
    pool.start('a');
    pool.start('b');
    const { verdict, committed, uncommitted } = await outcome(p, events, pool);
    const selfKills = selfKilled();
    console.log(
      `kills: ${pool.kills} SIGKILL + ${selfKills} at crash points; output ${committed} committed, ${uncommitted - committed} aborted`,
    );
    expect(await pool.stopAll()).toEqual([0, 0]);
    expect(verdict).toEqual(CLEAN);
    expect(committed).toBe(events.length);
    expect(pool.kills + selfKills).toBeGreaterThanOrEqual(5);
    expect(selfKills).toBeGreaterThanOrEqual(1);
    expect(uncommitted).toBeGreaterThan(committed);
  });

  it('scaling 1 → 3 → 1 processes during the flow', async () => {
    const p = await createPipeline(topology);
    const events = makeEvents(8_000, 40);
    const pool = new WorkerPool(p, { env: { SLOW_MS: '1' } });
    pool.start('a');
    const feed = produceOverTime(await eventRecords(p.topic('in'), events), 16, 750);
    // Each change of scale waits for the rebalance it causes, not for a time: on a loaded machine a
    // joining process can take longer than any fixed pause (a CI run counted too few assignments).
    const holds = (slot: string) => () =>
      pool.processes.get(slot)!.logs.some((l) => l.msg === 'assigned' && Array.isArray(l.partitions) && l.partitions.length > 0);
    await waitFor(holds('a'), { timeoutMs: 60_000, what: 'a holding partitions' });
    pool.start('b');
    pool.start('c');
    await waitFor(() => holds('b')() && holds('c')(), { timeoutMs: 90_000, what: 'b and c holding partitions' }).catch((err: Error) => {
      throw new Error(`${err.message}\n${pool.dump()}`);
    });
    await pool.kill('b', 'SIGTERM');
    await pool.kill('c', 'SIGTERM');
    await feed;
    const { verdict, committed } = await outcome(p, events, pool);
    expect(verdict).toEqual(CLEAN);
    expect(committed).toBe(events.length);
    expect(pool.logged('assigned').length).toBeGreaterThanOrEqual(4); // rebalances really happened
    expect(await pool.stopAll()).toEqual([0]);
  });

  it('a zombie frozen mid-transaction past the session timeout, then thawed, duplicates nothing', async () => {
    const p = await createPipeline(topology);
    const events = makeEvents(6_000, 40);
    const pool = new WorkerPool(p, { env: { SLOW_MS: '2' } });
    // The zombie stops itself right after sending its offsets, before committing.
    const zombie = pool.start('a', { WEIR_TEST_PAUSE: 'after-send-offsets:5' });
    pool.start('b');
    const feed = produceOverTime(await eventRecords(p.topic('in'), events), 12, 800);
    await waitFor(() => zombie.logs.some((l) => l.msg === 'test pause point'), { timeoutMs: 60_000, what: 'the zombie to freeze' });
    const frozenAt = Date.now();
    // The partitions the zombie held when it froze…
    const held = new Set<number>();
    for (const l of zombie.logs) {
      for (const tp of (l.partitions as number[] | undefined) ?? []) {
        if (l.msg === 'assigned') held.add(tp);
        if (l.msg === 'revoked') held.delete(tp);
      }
    }
    // …must be assigned to b after the session timeout expelled the zombie.
    const takenOver = () =>
      pool.processes
        .get('b')!
        .logs.filter((l) => l.msg === 'assigned' && (l.time as number) > frozenAt)
        .flatMap((l) => l.partitions as number[]);
    await waitFor(() => [...held].every((tp) => takenOver().includes(tp)), {
      timeoutMs: 60_000,
      what: `b to take over partitions ${[...held].join(', ')}`,
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${pool.dump(40)}`);
    });
    await sleep(2_000);
    zombie.proc.kill('SIGCONT');
    await feed;
    // Thawed, the zombie learns it lost its membership (or is fenced on its next transaction).
    await waitFor(() => zombie.logs.some((l) => l.lost === true || /fenced/.test(String(l.msg))), {
      timeoutMs: 60_000,
      what: 'the zombie to notice',
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${pool.dump(40)}`);
    });
    const { verdict, committed } = await outcome(p, events, pool);
    const after = zombie.logs.filter((l) => /fenced|revoked|aborted|committed/.test(String(l.msg)));
    console.log(
      `zombie after SIGCONT: ${after.map((l) => `${l.msg}${l.reason ? ` (${String(l.reason)})` : ''}${l.lost ? ' lost' : ''}`).join('; ')}`,
    );
    expect(verdict).toEqual(CLEAN);
    expect(committed).toBe(events.length);
    expect(after.some((l) => l.lost === true || /fenced/.test(String(l.msg)))).toBe(true);
    expect(await pool.stopAll()).toEqual([0, 0]);
  });

  describe('self-check: the harness sees duplicates when exactly-once is broken', () => {
    const crashOnce = async (
      env: Record<string, string>,
      args: string[] = [],
      until: 'group-caught-up' | 'all-ids-out' = 'group-caught-up',
    ) => {
      const p = await createPipeline(topology);
      const events = makeEvents(3_000, 20);
      const pool = new WorkerPool(p, { env: { SLOW_MS: '1', ...env }, args });
      pool.start('a', { WEIR_TEST_CRASH: 'after-produce:3' });
      await produceOverTime(await eventRecords(p.topic('in'), events), 3, 500);
      await pool.processes.get('a')!.exited;
      pool.start('a');
      const result = await outcome(p, events, pool, until);
      await pool.stopAll();
      return result.verdict;
    };

    it('offsets committed outside the transaction (at-least-once delivery)', async () => {
      const verdict = await crashOnce({}, ['--delivery', 'at-least-once']);
      expect(verdict.missing).toEqual([]);
      expect(verdict.duplicates.length).toBeGreaterThan(0);
    });

    it('offsets off by one (last processed instead of next)', async () => {
      // The group never looks caught up with this bug (it lags one record per partition).
      const verdict = await crashOnce({ WEIR_TEST_BREAK: 'offset-off-by-one' }, [], 'all-ids-out');
      expect(verdict.duplicates.length).toBeGreaterThan(0);
    });
  });
});

describe('fast takeover with a stable instance id (static membership)', { timeout: 200_000 }, () => {
  it('a SIGKILLed worker restarted with the same --instance-id commits again in seconds, not after the 45 s session timeout', async () => {
    const p = await createPipeline(topology);
    const pool = new WorkerPool(p, { env: { SLOW_MS: '0' }, sessionTimeout: '45s' });
    const holds = (w: { logs: Array<Record<string, unknown>> }) =>
      w.logs.some((l) => l.msg === 'assigned' && Array.isArray(l.partitions) && l.partitions.length > 0);
    const first = pool.start('a');
    await waitFor(() => holds(first), { timeoutMs: 90_000, what: 'a holding partitions' });
    const events = makeEvents(180, 9);
    const before = events.slice(0, 90);
    await produceAll(await eventRecords(p.topic('in'), before));
    await waitFor(async () => (await readAll(p.topic('out'))).length >= before.length, { timeoutMs: 60_000, what: 'the first outputs' });
    await pool.kill('a');
    const second = pool.start('a');
    await waitFor(() => second.logs.some((l) => l.msg === 'started'), { timeoutMs: 60_000, what: 'the restarted worker started' });
    const startedAt = Date.now();
    const after = events.slice(90);
    await produceAll(await eventRecords(p.topic('in'), after));
    await waitFor(async () => (await readAll(p.topic('out'))).length >= before.length + after.length, {
      timeoutMs: 90_000,
      intervalMs: 200,
      what: 'outputs of the records produced after the restart',
    });
    const takeoverMs = Date.now() - startedAt;
    console.log(`restart with the same instance id: first commit ${takeoverMs} ms after "started" (session timeout 45 s)`);
    // Without static membership the group waits out the dead member's session (45 s) first; the
    // issue asks for 10 s (measured here: ~1.5 s, most of it producing and reading back).
    expect(takeoverMs).toBeLessThan(10_000);
    expect(verifyOutput(await decodeEvents(await readAll(p.topic('out'))), events)).toEqual(CLEAN);
    expect(await pool.stopAll()).toEqual([0]);
  });
});
