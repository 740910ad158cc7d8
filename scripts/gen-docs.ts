// Writes the generated reference files; unit tests fail when they drift (test/unit/topology/golden.test.ts,
// test/unit/runtime/lifecycle-doc.test.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { topologyJsonSchema, topologyReference } from '../src/topology/docs.ts';
import { lifecycleMarkdown } from '../src/runtime/lifecycle.ts';
import { replaceGenerated } from './generated-section.ts';
import { summariesSource } from './gen-summaries.ts';

writeFileSync(new URL('../docs/topology.md', import.meta.url), topologyReference());
writeFileSync(new URL('../docs/topology.schema.json', import.meta.url), topologyJsonSchema());
const runtimeDoc = new URL('../docs/runtime.md', import.meta.url);
writeFileSync(runtimeDoc, replaceGenerated(readFileSync(runtimeDoc, 'utf8'), 'lifecycle', lifecycleMarkdown()));
writeFileSync(new URL('../src/cli/summaries.ts', import.meta.url), await summariesSource());
console.log('wrote src/cli/summaries.ts, docs/topology.md, docs/topology.schema.json and the lifecycle table of docs/runtime.md');
