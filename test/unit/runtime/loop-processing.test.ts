// Failures before anything is written: a registry outage while decoding (the batch is rewound and
// processed later, never dead-lettered), a poll error, a client that fails to connect.
import { describe, expect, it } from 'vitest';
import { AvroSerde, frame } from '../../../src/schema/serde.ts';
import { avroType } from '../../../src/schema/avro.ts';
import { RegistryUnavailableError } from '../../../src/schema/errors.ts';
import { MemoryRegistry } from '../../../src/testing/memory/registry.ts';
import { EVENT_SCHEMA, firstCalls, flakyRegistry, range, setup } from './fixtures.ts';

/** Avro input: schema ids 1 (Event) and 2 (a second version), values `{ n }`. */
function avroInput(down: (id: number) => boolean) {
  const registry = new MemoryRegistry();
  const v1 = registry.register('in-value', EVENT_SCHEMA);
  const v2Text = JSON.stringify({ ...JSON.parse(EVENT_SCHEMA), doc: 'version 2' });
  const v2 = registry.register('in-value', v2Text);
  const source = flakyRegistry(registry, down, () => new RegistryUnavailableError('GET /schemas/ids: registry answered 503'));
  const encode = (id: number, text: string) => (n: number) => frame(id, avroType(JSON.parse(text)).toBuffer({ n }));
  return { serde: new AvroSerde(source), source, v1: encode(v1, EVENT_SCHEMA), v2: encode(v2, v2Text), ids: { v1, v2 } };
}

describe('worker loop: processing failures', () => {
  it('registry unavailable: processing → rewinding → collecting, the batch is processed later, once, no DLQ', async () => {
    const avro = avroInput(firstCalls(1));
    const h = await setup({ avro: true, records: 3, serde: avro.serde });
    h.input(range(3), undefined, avro.v1);
    await h.idle();
    expect(h.transitions).toEqual([
      'starting→rebalancing',
      'rebalancing→collecting',
      'collecting→processing',
      'processing→rewinding',
      'rewinding→collecting',
      'collecting→processing',
      'processing→producing',
      'producing→collecting',
      'collecting→settling',
      'settling→collecting',
      'collecting→collecting',
    ]);
    expect(avro.source.calls).toEqual([avro.ids.v1, avro.ids.v1]);
    expect(h.outputs()).toEqual(range(3));
    expect(h.cluster.records(h.step.retry.dlq)).toEqual([]);
    expect(h.cluster.records(h.step.retry.tiers[0]!.topic)).toEqual([]);
    expect(h.committed()).toBe(3);
    expect(h.cluster.stats).toMatchObject({ abortedTransactions: 0, committedTransactions: 1 });
  });

  it('the batch after one in flight fails to decode: rewinding settles the one in flight first, then redoes the other', async () => {
    let v2Down = 1;
    const avro = avroInput((id) => id === 2 && v2Down-- > 0);
    const atRewind: Array<number | undefined> = [];
    const h = await setup({
      avro: true,
      records: 2,
      serde: avro.serde,
      hooks: { onTransition: (from) => from === 'rewinding' && atRewind.push(h.committed()) },
    });
    h.input([0, 1], undefined, avro.v1);
    h.input([2, 3], undefined, avro.v2);
    h.commits.hold();
    await h.until(() => h.transitions.at(-1) === 'processing→rewinding', 'the second batch failing');
    expect(h.committed()).toBeUndefined(); // [0, 1] still in flight
    h.commits.release();
    const mark = h.mark();
    await h.idle();
    expect(h.since(mark).slice(0, 4)).toEqual([
      'rewinding→collecting',
      'collecting→processing',
      'processing→producing',
      'producing→collecting',
    ]);
    expect(atRewind).toEqual([2]); // [0, 1] committed before the rewind was done
    expect(h.outputs()).toEqual(range(4));
    expect(h.committed()).toBe(4);
    expect(h.cluster.stats).toMatchObject({ abortedTransactions: 0, committedTransactions: 2 });
  });

  it('…and when the one in flight failed too: rewinding → rejoining, both redone once by the new clients', async () => {
    let v2Down = 1;
    const avro = avroInput((id) => id === 2 && v2Down-- > 0);
    const h = await setup({ avro: true, records: 2, serde: avro.serde });
    h.input([0, 1], undefined, avro.v1);
    h.input([2, 3], undefined, avro.v2);
    h.cluster.failNext('transaction.commit', 'abortable');
    await h.idle();
    const i = h.transitions.indexOf('processing→rewinding');
    expect(h.transitions.slice(i, i + 4)).toEqual([
      'processing→rewinding',
      'rewinding→rejoining',
      'rejoining→starting',
      'starting→rebalancing',
    ]);
    expect(h.made.consumers).toHaveLength(2);
    expect(h.outputs()).toEqual(range(4));
    expect(h.committed()).toBe(4);
    expect(h.cluster.stats.abortedTransactions).toBe(1);
  });
});

describe('worker loop: client failures', () => {
  it('a retriable poll error: collecting → collecting, then the records come', async () => {
    const h = await setup();
    h.input(range(2));
    h.cluster.failNext('consume', 'retriable', 'Local: Broker transport failure');
    await h.idle();
    expect(h.transitions.slice(0, 4)).toEqual([
      'starting→rebalancing',
      'rebalancing→collecting',
      'collecting→collecting',
      'collecting→processing',
    ]);
    expect(h.outputs()).toEqual(range(2));
    expect(h.made.consumers).toHaveLength(1);
  });

  it('a fenced poll (static member replaced): collecting → rejoining → starting', async () => {
    const h = await setup();
    h.input(range(2));
    h.cluster.failNext('consume', 'fenced');
    await h.idle();
    expect(h.transitions.slice(0, 5)).toEqual([
      'starting→rebalancing',
      'rebalancing→collecting',
      'collecting→rejoining',
      'rejoining→starting',
      'starting→rebalancing',
    ]);
    expect(h.made.consumers).toHaveLength(2);
    expect(h.openClients()).toBe(2);
    expect(h.outputs()).toEqual(range(2));
  });

  it('the producer fails to connect while starting: starting → rejoining drops the consumer already made, then starts again', async () => {
    const h = await setup();
    h.input(range(2));
    h.cluster.failNext('producer.connect', 'retriable', 'Local: All broker connections are down');
    await h.idle();
    expect(h.transitions.slice(0, 4)).toEqual([
      'starting→rejoining',
      'rejoining→starting',
      'starting→rebalancing',
      'rebalancing→collecting',
    ]);
    expect(h.made.consumers).toHaveLength(2);
    expect(h.openClients()).toBe(2);
    expect(h.outputs()).toEqual(range(2));
  });

  it('stop requested while rejoining: rejoining → stopped without starting again', async () => {
    const h = await setup();
    h.cluster.failNext('consume', 'fenced');
    await h.reach('rejoining');
    h.loop.requestStop();
    await h.reach('stopped');
    expect(h.transitions.slice(-2)).toEqual(['collecting→rejoining', 'rejoining→stopped']);
    expect(h.made.consumers).toHaveLength(1);
    expect(h.openClients()).toBe(0);
    expect(h.loop.failure).toBeUndefined();
  });
});
