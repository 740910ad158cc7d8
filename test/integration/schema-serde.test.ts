// Serde against the real registry and broker: Confluent wire format, reader/writer resolution
// across a schema change, interoperability with @kafkajs/confluent-schema-registry, and poison pills.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { avroType } from '../../src/schema/avro.ts';
import { DeserializationError, RegistryUnavailableError, SchemaValidationError } from '../../src/schema/errors.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import { AvroSerde, encodeAvro } from '../../src/schema/serde.ts';
import { produceAll, readAll, testTopics } from '../helpers/kafka.ts';
import { services, uniqueName } from '../helpers/services.ts';

const topic = testTopics();
const V1 = {
  type: 'record',
  name: 'Order',
  namespace: 'serde.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
  ],
};
const V2 = { ...V1, fields: [...V1.fields, { name: 'channel', type: 'string', default: 'web' }] };

describe('Avro serde with the registry', () => {
  const registry = () => new RegistryClient(services().SCHEMA_REGISTRY_URL);

  it('readers of either version read records of both after a compatible change', async () => {
    const subject = `${uniqueName('serde')}-value`;
    const t = await topic('serde', 1);
    const serde = new AvroSerde(registry());
    const id1 = await registry().register(subject, JSON.stringify(V1));
    await produceAll([{ topic: t, key: 'a', value: encodeAvro(avroType(V1), id1, { id: 'o-1', amount: '10.50' }, subject) }]);
    const id2 = await registry().register(subject, JSON.stringify(V2)); // BACKWARD (global default) accepts it
    expect(id2).not.toBe(id1);
    await produceAll([
      { topic: t, key: 'b', value: encodeAvro(avroType(V2), id2, { id: 'o-2', amount: '-3.25', channel: 'app' }, subject) },
    ]);

    const records = await readAll(t);
    await serde.prepare(records.map((r) => r.value));
    const asV2 = records.map((r) => serde.decode(r.value, avroType(V2)));
    const asV1 = records.map((r) => serde.decode(r.value, avroType(V1)));
    expect(asV2).toEqual([
      { id: 'o-1', amount: '10.50', channel: 'web' },
      { id: 'o-2', amount: '-3.25', channel: 'app' },
    ]);
    expect(asV1).toEqual([
      { id: 'o-1', amount: '10.50' },
      { id: 'o-2', amount: '-3.25' },
    ]);
  });

  it('interoperates with @kafkajs/confluent-schema-registry both ways', async () => {
    const subject = `${uniqueName('interop')}-value`;
    const plain = {
      type: 'record',
      name: 'Ping',
      namespace: 'serde.test',
      fields: [
        { name: 'n', type: 'long' },
        { name: 's', type: ['null', 'string'], default: null },
      ],
    };
    const id = await registry().register(subject, JSON.stringify(plain));
    const theirs = new SchemaRegistry({ host: services().SCHEMA_REGISTRY_URL });
    const ours = encodeAvro(avroType(plain), id, { n: 7, s: 'x' }, subject);
    expect(await theirs.decode(ours)).toEqual({ n: 7, s: 'x' });
    const fromThem = await theirs.encode(id, { n: 8, s: null });
    const serde = new AvroSerde(registry());
    await serde.prepare([fromThem]);
    expect(serde.decode(fromThem)).toEqual({ n: 8, s: null });
  });

  it('poison pills are DeserializationErrors with a reason; a registry outage is not', async () => {
    const serde = new AvroSerde(registry());
    const noMagic = Buffer.from('{"json":true}');
    const unknownId = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 0x41]);
    const subject = `${uniqueName('poison')}-value`;
    const id = await registry().register(subject, JSON.stringify(V1));
    const truncated = encodeAvro(avroType(V1), id, { id: 'o-1', amount: '1.00' }, subject).subarray(0, 7);
    await serde.prepare([noMagic, unknownId, truncated]);
    const reason = (b: Buffer) => {
      try {
        serde.decode(b, avroType(V1));
        return 'decoded';
      } catch (err) {
        return err instanceof DeserializationError ? err.reason : `other: ${(err as Error).message}`;
      }
    };
    expect([reason(noMagic), reason(unknownId), reason(truncated)]).toEqual(['no-magic-byte', 'unknown-schema-id', 'undecodable']);

    const down = new AvroSerde(new RegistryClient('http://127.0.0.1:9/apis/ccompat/v7', { attempts: 1, timeoutMs: 1_000 }));
    await expect(down.prepare([Buffer.from([0, 0, 0, 0, 1, 0])])).rejects.toBeInstanceOf(RegistryUnavailableError);
  });

  it('a value that does not match its schema names the field path and the expected type', () => {
    const type = avroType({
      type: 'record',
      name: 'Order',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'items', type: { type: 'array', items: { type: 'record', name: 'Item', fields: [{ name: 'qty', type: 'int' }] } } },
      ],
    });
    try {
      encodeAvro(type, 1, { id: 'o', items: [{ qty: 1 }, { qty: 'two' }] }, 'orders-value');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SchemaValidationError);
      expect((err as Error).message).toBe('value does not match orders-value: `items.1.qty` expected int, got string "two"');
    }
  });
});
