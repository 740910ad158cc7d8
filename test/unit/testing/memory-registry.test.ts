import { describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../../src/testing/memory/registry.ts';

const user = '{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}';
const userSpaced = '{ "type": "record", "name": "User", "fields": [ { "name": "id", "type": "long" } ] }';
const order = '{"type":"record","name":"Order","fields":[]}';

describe('MemoryRegistry', () => {
  it('ids are global, start at 1, and one schema has one id under every subject', async () => {
    const registry = new MemoryRegistry();
    expect(registry.register('users-value', user)).toBe(1);
    expect(registry.register('users-value', userSpaced)).toBe(1);
    expect(registry.register('orders-value', order)).toBe(2);
    expect(registry.register('copy-value', user)).toBe(1);
    expect(await registry.schemaById(2)).toBe(order);
    expect(await registry.schemaById(3)).toBeUndefined();
  });

  it('lookup finds the version under the subject, comparing canonical JSON', async () => {
    const registry = new MemoryRegistry();
    registry.register('s', order);
    registry.register('s', user);
    expect(await registry.lookup('s', userSpaced)).toEqual({ subject: 's', version: 2, id: 2, schema: user });
    expect(await registry.lookup('other', user)).toBeUndefined();
    expect(await registry.lookup('s', '{"type":"string"}')).toBeUndefined();
    expect(() => registry.register('s', '{nope')).toThrow(/not valid JSON/);
  });
});
