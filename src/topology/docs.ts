// docs/topology.md and the JSON Schema, generated from the option declarations in language.ts.
import { DIAGNOSTIC_CODES } from './diagnostics.ts';
import { pipelineSpec } from './language.ts';
import { EitherSpec, ListSpec, MapSpec, ObjectSpec, type Spec } from './spec/index.ts';

function objectsIn(spec: Spec<unknown>, found: ObjectSpec<Record<string, Spec<unknown>>>[]): void {
  if (spec instanceof ObjectSpec) {
    if (found.some((f) => f.title === spec.title)) return;
    found.push(spec as ObjectSpec<Record<string, Spec<unknown>>>);
    for (const f of Object.values(spec.fields as Record<string, Spec<unknown>>)) objectsIn(f, found);
  } else if (spec instanceof MapSpec) objectsIn(spec.value, found);
  else if (spec instanceof ListSpec) objectsIn(spec.item, found);
  else if (spec instanceof EitherSpec) {
    if (spec.scalar) objectsIn(spec.scalar, found);
    if (spec.map) objectsIn(spec.map, found);
  }
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const anchor = (title: string) => title.replace(/\s+/g, '-').toLowerCase();

function defaultText(spec: Spec<unknown>): string {
  if (spec.defaultText) return spec.defaultText;
  if (spec.defaultValue !== undefined) return `\`${JSON.stringify(spec.defaultValue)}\``;
  return spec.required ? '**required**' : '—';
}

export function topologyReference(): string {
  const objects: ObjectSpec<Record<string, Spec<unknown>>>[] = [];
  objectsIn(pipelineSpec, objects);
  const out = [
    '# Topology reference',
    '',
    '<!-- Generated from src/topology/language.ts by `npm run gen:docs`; do not edit by hand. -->',
    '',
    'A topology file (`topology/*.yaml`) declares one pipeline: its topics and its steps. Paths to schemas and',
    'modules are relative to the project root (the folder with `package.json`). Strings in HTTP sink options may',
    'reference environment variables as `${VAR}` or `${VAR:-default}`; plans never contain their values.',
    'Editors get completion from [`topology.schema.json`](topology.schema.json).',
    '',
  ];
  for (const o of objects) {
    out.push(`## ${o.title}`, '', '| key | type | default | description | example |', '|---|---|---|---|---|');
    for (const [key, spec] of Object.entries(o.fields)) {
      const nested = objects.find(
        (x) => x === spec || (spec instanceof MapSpec && x === spec.value) || (spec instanceof ListSpec && x === spec.item),
      );
      const type = nested ? `[${spec.typeName()}](#${anchor(nested.title)})` : spec.typeName();
      const example = spec.exampleValue === undefined ? '' : `\`${JSON.stringify(spec.exampleValue)}\``;
      out.push(`| \`${key}\` | ${cell(type)} | ${cell(defaultText(spec))} | ${cell(spec.description)} | ${cell(example)} |`);
    }
    out.push('');
  }
  out.push(
    '## Diagnostic codes',
    '',
    '`weir validate` reports `file:line:column: error[code] message`. Besides reading the files, it imports each',
    "transform module as `weir run` does (the module's top-level code runs), so that one that does not load fails here.",
    '',
    '| code | meaning |',
    '|---|---|',
  );
  for (const [code, meaning] of Object.entries(DIAGNOSTIC_CODES)) out.push(`| \`${code}\` | ${meaning} |`);
  return out.join('\n') + '\n';
}

export function topologyJsonSchema(): string {
  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://weir.dev/topology.schema.json',
    ...pipelineSpec.jsonSchema(),
  };
  return JSON.stringify(schema, null, 2) + '\n';
}
