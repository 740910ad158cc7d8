// The in-memory consumer group and consumer: cooperative rebalances in manual mode (the new owner
// gets a partition only after the old one completed its revoke), start positions, and consume.
import { describe, expect, it } from 'vitest';
import type { KafkaClients, StepConsumer } from '../../../src/kafka/ports.ts';
import type { Clock } from '../../../src/runtime/clock.ts';
import { MemoryCluster } from '../../../src/testing/memory/cluster.ts';

const clock: Clock = { now: () => 1_000, setTimer: () => ({ cancel() {} }), sleep: async () => {} };
const tp = (topic: string, partition: number) => ({ topic, partition });
const member = (clients: KafkaClients, name: string, groupInstanceId?: string) =>
  clients.consumer({ name, groupId: 'g', isolation: 'read_committed', sessionTimeoutMs: 10_000, groupInstanceId });

/** Completes every pending event as the worker does, returning them. */
function settle(consumer: StepConsumer) {
  const events = consumer.takeRebalanceEvents();
  for (const e of events) {
    if (e.kind === 'assign') consumer.completeAssign(e.partitions);
    else consumer.completeRevoke(e.partitions);
  }
  return events;
}

function setup(partitions = 4) {
  const cluster = new MemoryCluster(clock);
  cluster.createTopic('in', partitions);
  return { cluster, clients: cluster.clients() };
}

describe('MemoryCluster consumer group', () => {
  it('the first subscriber gets every partition through one assign event', async () => {
    const { clients } = setup(3);
    const a = await member(clients, 'a');
    a.subscribe(['in']);
    expect(a.hasPendingRebalance).toBe(true);
    expect(a.assignment()).toEqual([]);
    expect(settle(a)).toEqual([{ kind: 'assign', partitions: [tp('in', 0), tp('in', 1), tp('in', 2)], lost: false }]);
    expect(a.hasPendingRebalance).toBe(false);
    expect(a.assignment()).toEqual([tp('in', 0), tp('in', 1), tp('in', 2)]);
  });

  it('a second member joining: revoke on the first, then (after completeRevoke) assign on the second', async () => {
    const { clients } = setup(4);
    const a = await member(clients, 'a');
    a.subscribe(['in']);
    settle(a);
    const b = await member(clients, 'b');
    b.subscribe(['in']);
    expect(b.hasPendingRebalance).toBe(false);
    const [revoke] = a.takeRebalanceEvents();
    expect(revoke).toEqual({ kind: 'revoke', partitions: [tp('in', 1), tp('in', 3)], lost: false });
    expect(b.hasPendingRebalance).toBe(false);
    a.completeRevoke(revoke!.partitions);
    expect(settle(b)).toEqual([{ kind: 'assign', partitions: [tp('in', 1), tp('in', 3)], lost: false }]);
    expect(a.assignment()).toEqual([tp('in', 0), tp('in', 2)]);
    expect(b.assignment()).toEqual([tp('in', 1), tp('in', 3)]);
    // Leaving hands the partitions back without a revoke (the member is gone).
    await b.disconnect();
    expect(settle(a)).toEqual([{ kind: 'assign', partitions: [tp('in', 1), tp('in', 3)], lost: false }]);
  });

  it('revoke/reassign helpers: partitions stay unowned until reassign', async () => {
    const { cluster, clients } = setup(2);
    const a = await member(clients, 'a');
    a.subscribe(['in']);
    settle(a);
    cluster.revoke('g', [tp('in', 1)], true);
    expect(settle(a)).toEqual([{ kind: 'revoke', partitions: [tp('in', 1)], lost: true }]);
    expect(a.hasPendingRebalance).toBe(false);
    cluster.reassign('g');
    expect(settle(a)).toEqual([{ kind: 'assign', partitions: [tp('in', 1)], lost: false }]);
  });

  it('a static member restarting takes the partitions over at once; the old one is fenced', async () => {
    const { clients } = setup(2);
    const old = await member(clients, 'a', 'w-1');
    old.subscribe(['in']);
    settle(old);
    const restarted = await member(clients, 'a2', 'w-1');
    restarted.subscribe(['in']);
    expect(settle(restarted)).toEqual([{ kind: 'assign', partitions: [tp('in', 0), tp('in', 1)], lost: false }]);
    await expect(old.consume(10, 0)).rejects.toMatchObject({ kind: 'fenced' });
  });

  it('completeAssign: explicit offsets, else the committed offset, else the beginning; other topics too', async () => {
    const { cluster, clients } = setup(3);
    cluster.createTopic('in.retry', 1);
    for (let i = 0; i < 5; i++)
      for (const partition of [0, 1, 2]) cluster.append('in', { key: null, value: Buffer.from(`${i}`), partition });
    const a = await member(clients, 'a');
    a.commitSync([{ topic: 'in', partition: 1, offset: 2 }]);
    a.subscribe(['in']);
    a.takeRebalanceEvents();
    a.completeAssign([{ ...tp('in', 0), offset: 4 }, tp('in', 1), tp('in', 2), tp('in.retry', 0)]);
    expect(a.positions([tp('in', 0), tp('in', 1), tp('in', 2), tp('in.retry', 0), tp('in', 9)])).toEqual([
      { ...tp('in', 0), offset: 4, high: 5 },
      { ...tp('in', 1), offset: 2, high: 5 },
      { ...tp('in', 2), offset: 0, high: 5 },
      { ...tp('in.retry', 0), offset: 0, high: 0 },
      { ...tp('in', 9), offset: -1001, high: -1 },
    ]);
    expect(() => a.completeAssign([tp('in', 0)])).toThrow(/already part of the current assignment/);
    expect(() => a.completeRevoke([tp('in', 7)])).toThrow(/not in the current assignment/);
    cluster.append('in.retry', { key: null, value: Buffer.from('r') });
    expect((await a.consume(100, 0)).filter((r) => r.topic === 'in.retry').map((r) => r.value?.toString())).toEqual(['r']);
  });
});

describe('MemoryConsumer consume', () => {
  async function assigned() {
    const { cluster, clients } = setup(2);
    for (let i = 0; i < 3; i++)
      for (const partition of [0, 1]) cluster.append('in', { key: null, value: Buffer.from(`${partition}-${i}`), partition });
    const c = await member(clients, 'c');
    c.subscribe(['in']);
    settle(c);
    return { cluster, c };
  }
  const values = (records: { value: Buffer | null }[]) => records.map((r) => r.value?.toString());

  it('takes from the partitions in turn, up to max, and returns [] when nothing is left', async () => {
    const { c } = await assigned();
    const first = await c.consume(4, 1_000);
    expect(first.map((r) => r.partition).sort()).toEqual([0, 0, 1, 1]);
    expect(await c.consume(10, 1_000)).toHaveLength(2);
    expect(await c.consume(10, 1_000)).toEqual([]);
    expect(c.positions([tp('in', 0), tp('in', 1)])).toEqual([
      { ...tp('in', 0), offset: 3, high: 3 },
      { ...tp('in', 1), offset: 3, high: 3 },
    ]);
  });

  it('skips paused partitions until resumed', async () => {
    const { c } = await assigned();
    c.pause([tp('in', 0)]);
    expect(values(await c.consume(10, 0))).toEqual(['1-0', '1-1', '1-2']);
    c.resume([tp('in', 0)]);
    expect(values(await c.consume(10, 0))).toEqual(['0-0', '0-1', '0-2']);
  });

  it('seek moves the position; unassigned partitions cannot be sought', async () => {
    const { c } = await assigned();
    c.pause([tp('in', 1)]);
    await c.seek({ ...tp('in', 0), offset: 2 });
    expect(values(await c.consume(10, 0))).toEqual(['0-2']);
    await c.seek({ ...tp('in', 0), offset: 1 });
    expect(values(await c.consume(10, 0))).toEqual(['0-1', '0-2']);
    await expect(c.seek({ ...tp('in', 5), offset: 0 })).rejects.toMatchObject({ kind: 'fatal', operation: 'seek' });
  });

  it('still returns records while a rebalance is pending; injected consume failures', async () => {
    const { cluster, c } = await assigned();
    cluster.revoke('g', [tp('in', 0)]);
    expect(c.hasPendingRebalance).toBe(true);
    expect(await c.consume(10, 0)).toHaveLength(6);
    cluster.failNext('consume', 'retriable', 'broker away');
    await expect(c.consume(10, 0)).rejects.toMatchObject({ kind: 'retriable', message: 'consume: broker away' });
  });

  it('a subscription to a missing topic fails consume', async () => {
    const { clients } = setup(1);
    const c = await member(clients, 'c');
    c.subscribe(['in', 'later']);
    await expect(c.consume(10, 0)).rejects.toMatchObject({
      kind: 'fatal',
      operation: 'consume',
      code: 3,
      message: 'consume: Subscribed topic not available: later: Broker: Unknown topic or partition (code 3)',
    });
  });
});
