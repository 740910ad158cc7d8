// Writes the generated reference files; test/unit/topology/generated.test.ts fails when they drift.
import { writeFileSync } from 'node:fs';
import { topologyJsonSchema, topologyReference } from '../src/topology/docs.ts';

writeFileSync(new URL('../docs/topology.md', import.meta.url), topologyReference());
writeFileSync(new URL('../docs/topology.schema.json', import.meta.url), topologyJsonSchema());
console.log('wrote docs/topology.md and docs/topology.schema.json');
