// The test driver on the example pipeline (topology/orders.yaml): the real workers over in-memory
// clients and a virtual clock — routing to the DLQ, retry tiers that wait for the clock, ordered
// retries, the Postgres table and the HTTP receiver.
import { afterEach, describe, expect, it } from 'vitest';
import { TopologyTestDriver } from 'weir/testing'; // the package export, as a team imports it
import { bucket } from '../../../transforms/enrich.ts';

const order = (orderId: string, customerId: string, seq: number, items = [{ sku: 'A-1', quantity: 2, unitPriceCents: 1250 }]) => ({
  key: customerId,
  value: { orderId, customerId, seq, revision: 1, items, currency: 'EUR', country: 'DE', createdAt: Date.UTC(2026, 0, 1) },
});

/** Order ids whose first lookup fails when ENRICH_FLAKY_PERCENT=50, and ids whose does not. */
const ids = (flaky: boolean, n: number) =>
  Array.from({ length: 200 }, (_, i) => `ord-${i}`)
    .filter((id) => bucket(id) < 50 === flaky)
    .slice(0, n);

let driver: TopologyTestDriver | undefined;
afterEach(async () => {
  await driver?.close();
  driver = undefined;
  delete process.env.ENRICH_FLAKY_PERCENT;
});

describe('TopologyTestDriver on topology/orders.yaml', () => {
  it('enriches a valid order, stores it once and notifies once', async () => {
    driver = await TopologyTestDriver.create({ topology: 'topology/orders.yaml' });
    await driver.pipe('orders.created', [order('ord-1', 'c-1', 1)]);
    await driver.run();
    const out = await driver.output('orders.enriched');
    expect(out).toHaveLength(1);
    expect(out[0]!.key).toBe('c-1');
    expect(out[0]!.value).toMatchObject({ orderId: 'ord-1', total: '25.00', itemCount: 1, skus: ['A-1'] });
    // The input's coordinates: key c-1 lands in partition 5 of 6 under Kafka's murmur2 partitioner.
    expect(out[0]!.headers['weir.event.id']).toBe('enrich:orders.created:5:0:0');
    expect(driver.rows('orders')).toEqual([
      expect.objectContaining({ order_id: 'ord-1', customer_id: 'c-1', total: '25.00', revision: 1, skus: ['A-1'] }),
    ]);
    expect(driver.http.delivered).toHaveLength(1);
    expect(driver.http.delivered[0]!.body).toMatchObject({ orderId: 'ord-1' });
    expect(driver.http.delivered[0]!.headers['idempotency-key']).toBe(out[0]!.headers['weir.event.id']);
  });

  it('sends an invalid order to the DLQ with its error class, and a poison pill with its bytes intact', async () => {
    driver = await TopologyTestDriver.create({ topology: 'topology/orders.yaml' });
    await driver.pipe('orders.created', [order('ord-2', 'c-2', 1, [])]);
    const garbage = Buffer.from('not avro at all');
    driver.pipeRaw('orders.created', [{ key: 'c-3', value: garbage }]);
    await driver.run();
    expect(await driver.output('orders.enriched')).toEqual([]);
    const dlq = await driver.dlq('enrich');
    expect(dlq.map((d) => d.errorClass).sort()).toEqual(['DeserializationError', 'ValidationError']);
    const invalid = dlq.find((d) => d.errorClass === 'ValidationError')!;
    expect(invalid.errorMessage).toBe('order ord-2 has no items');
    expect(invalid.value).toMatchObject({ orderId: 'ord-2' });
    const poison = dlq.find((d) => d.errorClass === 'DeserializationError')!;
    expect(poison.raw.value).toEqual(garbage);
    expect(poison.value).toBeUndefined();
  });

  it('a flaky lookup comes out only after the 5 s tier is due on the virtual clock', async () => {
    process.env.ENRICH_FLAKY_PERCENT = '50';
    driver = await TopologyTestDriver.create({ topology: 'topology/orders.yaml' });
    const [id] = ids(true, 1);
    await driver.pipe('orders.created', [order(id!, 'c-9', 1)]);
    await driver.run();
    expect(await driver.output('orders.enriched')).toEqual([]);
    const waiting = await driver.retries('enrich');
    expect(waiting).toMatchObject([{ tier: 0, attempt: 2, errorClass: 'RetryableError', due: driver.clock.now() + 5_000 }]);
    await driver.advance(4_999);
    expect(await driver.output('orders.enriched')).toEqual([]);
    await driver.advance(1);
    expect((await driver.output('orders.enriched')).map((r) => (r.value as { orderId: string }).orderId)).toEqual([id]);
    expect(await driver.dlq('enrich')).toEqual([]);
  });

  it("with preserveKeyOrder a key's later orders wait behind its retried one; other keys flow", async () => {
    process.env.ENRICH_FLAKY_PERCENT = '50';
    driver = await TopologyTestDriver.create({ topology: 'topology/orders.yaml' });
    const [flaky] = ids(true, 1);
    const [later, other] = ids(false, 2);
    await driver.pipe('orders.created', [order(flaky!, 'c-1', 1), order(later!, 'c-1', 2), order(other!, 'c-2', 1)]);
    await driver.run();
    const orderIds = async () => (await driver!.output('orders.enriched')).map((r) => (r.value as { orderId: string }).orderId);
    expect(await orderIds()).toEqual([other]); // c-1's second order did not overtake its first
    expect((await driver.retries('enrich')).map((r) => [(r.value as { orderId: string }).orderId, r.follows])).toEqual([
      [flaky, false],
      [later, true],
    ]);
    await driver.advance('5s');
    expect(await orderIds()).toEqual([other, flaky, later]);
  });
});
