// The registry (Apicurio through its Confluent API) gives the same verdict as the offline checker
// on every case of the compatibility table.
import { describe, expect, it } from 'vitest';
import { avroType } from '../../src/schema/avro.ts';
import { levelProblems } from '../../src/schema/compat.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import { COMPAT_CASES } from '../helpers/compat-cases.ts';
import { services, uniqueName } from '../helpers/services.ts';

describe('compatibility table against the registry', () => {
  it.each(COMPAT_CASES)('$level: $name → compatible=$compatible', async (c) => {
    const registry = new RegistryClient(services().SCHEMA_REGISTRY_URL);
    const subject = `${uniqueName('compat')}-value`;
    await registry.setCompatibility(subject, 'NONE'); // the history itself need not obey the level
    for (const v of c.previous) await registry.register(subject, JSON.stringify(v));
    await registry.setCompatibility(subject, c.level);
    const registryVerdict = await registry.isCompatible(subject, JSON.stringify(c.candidate), c.level);
    const offlineVerdict = levelProblems(c.level, avroType(c.candidate), c.previous.map(avroType)).length === 0;
    expect({ registry: registryVerdict, offline: offlineVerdict }).toEqual({ registry: c.compatible, offline: c.compatible });
  });
});
