// The registry speaks the Confluent API that @kafkajs/confluent-schema-registry expects, through
// Apicurio's /apis/ccompat/v7, and enforces compatibility on registration.
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { services, uniqueName } from '../helpers/services.ts';

const order = (fields: object[]) => JSON.stringify({ type: 'record', name: 'Order', namespace: 'test.weir', fields });
const ID = { name: 'id', type: 'string' };
const AMOUNT = { name: 'amount', type: 'long' };

describe('schema registry round trip (ccompat v7)', () => {
  const registry = () => new SchemaRegistry({ host: services().SCHEMA_REGISTRY_URL });

  it('registers an Avro schema, encodes in the Confluent wire format and decodes by id', async () => {
    const subject = `${uniqueName('orders')}-value`;
    const { id } = await registry().register({ type: SchemaType.AVRO, schema: order([ID, AMOUNT]) }, { subject });
    const bytes = await registry().encode(id, { id: 'o-1', amount: 4200 });
    expect(bytes[0]).toBe(0); // magic byte
    expect(bytes.readUInt32BE(1)).toBe(id); // schema id, big endian
    // A fresh client has no cache: decoding must fetch the writer schema by id.
    expect(await registry().decode(bytes)).toEqual({ id: 'o-1', amount: 4200 });
  });

  it('BACKWARD (the global default) rejects a new field without a default', async () => {
    const subject = `${uniqueName('orders')}-value`;
    await registry().register({ type: SchemaType.AVRO, schema: order([ID]) }, { subject });
    await expect(registry().register({ type: SchemaType.AVRO, schema: order([ID, AMOUNT]) }, { subject })).rejects.toThrow(
      /409|incompatible/i,
    );
    // The compatible variant of the same change is accepted.
    const withDefault = { ...AMOUNT, default: 0 };
    await expect(registry().register({ type: SchemaType.AVRO, schema: order([ID, withDefault]) }, { subject })).resolves.toHaveProperty(
      'id',
    );
  });

  it('FORWARD rejects removing a field that has no default', async () => {
    const subject = `${uniqueName('orders')}-value`;
    await registry().register({ type: SchemaType.AVRO, schema: order([ID, AMOUNT]) }, { subject });
    const res = await fetch(`${services().SCHEMA_REGISTRY_URL}/config/${subject}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'FORWARD' }),
    });
    expect(res.status).toBe(200);
    // The client refuses to register when its expected level differs from the subject's, so say FORWARD.
    const register = registry().register({ type: SchemaType.AVRO, schema: order([ID]) }, { subject, compatibility: COMPATIBILITY.FORWARD });
    await expect(register).rejects.toThrow(/409|incompatible/i);
  });
});
