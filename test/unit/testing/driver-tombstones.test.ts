// `weir test` and the test driver apply tombstones as the real Postgres sink does: `delete` removes
// the row of the record key (a later record of the key in the same batch writes it again), `ignore`
// keeps it, `dlq` (the default) sends the tombstone to the DLQ.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TopologyTestDriver } from 'weir/testing';

const topology = (onTombstone?: string) => {
  const root = mkdtempSync(join(tmpdir(), 'weir-driver-tombstones-'));
  writeFileSync(join(root, 'package.json'), '{ "name": "p", "private": true, "type": "module" }\n');
  writeFileSync(
    join(root, 'pipeline.yaml'),
    `pipeline: t
topics:
  items: { partitions: 1, key: string, value: json }
steps:
  store:
    input: items
    sink:
      postgres:
        table: items
        key: [id]
        columns: { id: id, n: { field: n, type: integer } }
${onTombstone ? `        onTombstone: ${onTombstone}\n` : ''}`,
  );
  return join(root, 'pipeline.yaml');
};

let driver: TopologyTestDriver | undefined;
afterEach(async () => {
  await driver?.close();
  driver = undefined;
});

async function run(onTombstone?: string) {
  driver = await TopologyTestDriver.create({ topology: topology(onTombstone) });
  await driver.pipe('items', [
    { key: 'a', value: { id: 'a', n: 1 } },
    { key: 'b', value: { id: 'b', n: 1 } },
  ]);
  await driver.run();
  driver.pipeRaw('items', [
    { key: 'a', value: null },
    { key: 'b', value: null },
  ]);
  await driver.pipe('items', [{ key: 'b', value: { id: 'b', n: 2 } }]);
  await driver.run();
  return driver;
}

describe('tombstones in the test driver', () => {
  it('delete: the row of the record key goes; a later record of the key writes it again', async () => {
    const d = await run('delete');
    expect(d.rows('items')).toEqual([{ id: 'b', n: 2 }]);
    expect(await d.dlq('store')).toEqual([]);
  });

  it('ignore: the rows stay', async () => {
    const d = await run('ignore');
    expect(d.rows('items')).toEqual([
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
    ]);
  });

  it('dlq, the default: each tombstone in the DLQ as a Tombstone, its key intact', async () => {
    const d = await run();
    const dlq = await d.dlq('store');
    expect(dlq.map((e) => [e.errorClass, e.raw.key?.toString(), e.raw.value])).toEqual([
      ['Tombstone', 'a', null],
      ['Tombstone', 'b', null],
    ]);
  });
});
