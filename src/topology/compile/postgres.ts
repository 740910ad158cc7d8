// A Postgres sink step's checks and its part of the plan: the columns (mapped, or derived from the
// input's value schema with `columns: auto`), the key and version columns they must contain, and
// what a tombstone needs to delete a row (key columns the record key can give).
import { fieldNames, fieldType } from '../../schema/avro.ts';
import { didYouMean } from '../diagnostics.ts';
import { COLUMN_NAME, type PostgresSinkDecl } from '../language.ts';
import type { PlannedColumn, PlannedStep } from '../plan.ts';
import type { CompileContext, Site, StepEntry } from './context.ts';

const ATTRIBUTES = ['$eventId', '$key', '$topic', '$partition', '$offset', '$timestamp'];

type At = (...p: (string | number)[]) => Site;

/** The columns of `columns: auto`: the top-level fields of the reader schema; undefined after an error. */
function autoColumns(ctx: CompileContext, readerSchema: string | null, at: At): PlannedColumn[] | undefined {
  const schema = readerSchema ? ctx.schemaIfValid(readerSchema) : undefined;
  if (!schema) {
    // Without an Avro schema there are no fields to derive columns from (a missing file is reported already).
    if (!readerSchema)
      ctx.diag.error(
        ctx.loc(at('columns')),
        'invalid-value',
        '`columns: auto` derives the columns from the Avro schema of the input values, and this input has none',
        'map the columns by hand, or give the topic an .avsc `value`',
      );
    return undefined;
  }
  const names = fieldNames(schema.type);
  if (names.length === 0) {
    ctx.diag.error(ctx.loc(at('columns')), 'invalid-value', `\`columns: auto\` needs a record schema; ${readerSchema} has no fields`);
    return undefined;
  }
  const bad = names.filter((n) => !COLUMN_NAME.test(n));
  if (bad.length) {
    ctx.diag.error(
      ctx.loc(at('columns')),
      'invalid-value',
      `\`columns: auto\`: field${bad.length > 1 ? 's' : ''} ${bad.map((n) => `\`${n}\``).join(', ')} of ${readerSchema} ${bad.length > 1 ? 'are not column names' : 'is not a column name'} (letters, digits and _, not starting with a digit, at most 63)`,
      'map the columns by hand and name those differently',
    );
    return undefined;
  }
  return names.map((name) => ({ name, source: name, type: null }));
}

function mappedColumns(ctx: CompileContext, pg: PostgresSinkDecl, readerSchema: string | null, at: At): PlannedColumn[] {
  const mapping = pg.columns as Exclude<PostgresSinkDecl['columns'], 'auto'>;
  const columns = Object.entries(mapping).map(([name, c]) =>
    typeof c === 'string' ? { name, source: c, type: null } : { name, source: c.field, type: c.type ?? null },
  );
  const schema = readerSchema ? ctx.schemaIfValid(readerSchema) : undefined;
  for (const c of columns) {
    if (c.source.startsWith('$')) {
      if (!ATTRIBUTES.includes(c.source))
        ctx.diag.error(
          ctx.loc(at('columns', c.name)),
          'invalid-value',
          `unknown record attribute ${c.source}`,
          `use ${ATTRIBUTES.join(', ')}`,
        );
    } else if (schema && !fieldType(schema.type, c.source)) {
      const guess = didYouMean(c.source, fieldNames(schema.type));
      ctx.diag.error(
        ctx.loc(at('columns', c.name)),
        'unknown-field',
        `column \`${c.name}\` maps field \`${c.source}\`, which ${readerSchema} does not have` +
          (guess ? ` — did you mean \`${guess}\`?` : ''),
      );
    }
  }
  return columns;
}

/** `onTombstone: delete` finds the row by its key columns, so the record key must be able to give each of them. */
function checkTombstoneKey(ctx: CompileContext, entry: StepEntry, key: string[], columns: PlannedColumn[], at: At): void {
  const keyFormat = ctx.topics.get(entry.decl.input)?.decl.key;
  const keySchema = keyFormat?.format === 'avro' ? ctx.schemaIfValid(keyFormat.schema) : undefined;
  const keyIsRecord = keySchema ? fieldNames(keySchema.type).length > 0 : keyFormat?.format === 'json';
  const fromFields = key.filter((k) => !columns.find((c) => c.name === k)?.source.startsWith('$'));
  for (const [i, k] of key.entries()) {
    const source = columns.find((c) => c.name === k)?.source;
    if (source === undefined || source === '$key') continue;
    if (source.startsWith('$')) {
      ctx.diag.error(
        ctx.loc(at('key', i)),
        'invalid-value',
        `\`onTombstone: delete\` cannot find a row by key column \`${k}\`: it holds ${source}, which a tombstone has its own of`,
        'key the table by fields the record key carries (or by $key)',
      );
    } else if (keySchema && keyIsRecord && !fieldType(keySchema.type, source)) {
      ctx.diag.error(
        ctx.loc(at('key', i)),
        'unknown-field',
        `\`onTombstone: delete\` takes key column \`${k}\` from field \`${source}\` of the record key, which ${keyFormat?.format === 'avro' ? keyFormat.schema : 'the key'} does not have`,
        `key fields: ${fieldNames(keySchema.type).join(', ')}`,
      );
    } else if (!keyIsRecord && fromFields.length > 1) {
      ctx.diag.error(
        ctx.loc(at('key', i)),
        'invalid-value',
        `\`onTombstone: delete\` fills key columns from the record key: a ${keyFormat?.format ?? 'plain'} key gives one column, not ${fromFields.join(', ')}`,
        'use a JSON or Avro record key with those fields',
      );
      return;
    }
  }
}

export function checkPostgres(ctx: CompileContext, entry: StepEntry, readerSchema: string | null, site: Site): PlannedStep['postgres'] {
  const pg = entry.decl.sink?.postgres;
  if (!pg) return null;
  const at: At = (...p) => ({ ...site, path: [...site.path, 'sink', 'postgres', ...p] });
  const auto = pg.columns === 'auto';
  const columns = auto ? autoColumns(ctx, readerSchema, at) : mappedColumns(ctx, pg, readerSchema, at);
  if (pg.version && pg.mode !== 'upsert')
    ctx.diag.error(ctx.loc(at('version')), 'invalid-value', '`version` guards upserts; it needs `mode: upsert`');
  if (!columns) return null;
  const names = columns.map((c) => c.name);
  const listed = auto ? `fields of ${readerSchema}` : 'columns';
  const missing = (name: string) => {
    const guess = didYouMean(name, names);
    return guess ? ` — did you mean \`${guess}\`?` : '';
  };
  for (const [i, k] of pg.key.entries()) {
    if (!names.includes(k))
      ctx.diag.error(
        ctx.loc(at('key', i)),
        'unknown-field',
        `key column \`${k}\` is not in \`columns\`${auto ? ` (\`auto\`: the ${listed})` : ''}${missing(k)}`,
        `${listed}: ${names.join(', ')}`,
      );
  }
  if (pg.version && !names.includes(pg.version))
    ctx.diag.error(
      ctx.loc(at('version')),
      'unknown-field',
      `version column \`${pg.version}\` is not in \`columns\`${auto ? ` (\`auto\`: the ${listed})` : ''}${missing(pg.version)}`,
    );
  if (pg.onTombstone === 'delete') checkTombstoneKey(ctx, entry, pg.key, columns, at);
  return {
    table: pg.table,
    key: pg.key,
    mode: pg.mode,
    version: pg.version ?? null,
    columns,
    columnsFrom: auto ? 'auto' : 'mapping',
    createTable: pg.createTable,
    onTombstone: pg.onTombstone,
  };
}
