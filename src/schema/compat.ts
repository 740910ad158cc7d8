// Avro schema resolution (can a reader schema read data written with a writer schema?) following
// the Avro specification, and the registry's compatibility levels built on it. Each problem comes
// back as data and is then explained in words for the direction it was checked in. Beyond the
// specification, a changed logical type is an issue too (see meaning.ts).
import type { AvroType } from './avro.ts';
import { describeLogicalType, logicalTypeOf, physicalTypeOf, type LogicalTypeInfo } from './logical.ts';
import { explainMeaningChange, meaningIssues } from './meaning.ts';

export type IssueKind = 'missing-field' | 'type-mismatch' | 'enum-symbol' | 'name-mismatch' | 'fixed-size' | 'meaning-changed';

export interface ReadIssue {
  kind: IssueKind;
  /** Where, as `Record.field.nested`. */
  path: string;
  readerType: string;
  writerType: string;
  /** Field name or enum symbol concerned. */
  detail?: string;
  /** For `meaning-changed`: the logical types on each side (undefined: plain). */
  meaning?: { reader: LogicalTypeInfo | undefined; writer: LogicalTypeInfo | undefined };
}

interface T {
  typeName: string;
  name?: string;
  aliases?: string[];
  fields?: Array<{ name: string; type: AvroType; aliases?: string[]; defaultValue(): unknown }>;
  symbols?: string[];
  default?: string;
  itemsType?: AvroType;
  valuesType?: AvroType;
  types?: AvroType[];
  size?: number;
}

// Resolution goes by how values are stored; logical types are compared separately (meaningIssues).
const t = (x: AvroType) => physicalTypeOf(x) as unknown as T;
const ids = new WeakMap<object, number>();
let nextId = 0;
const idOf = (x: object) => {
  if (!ids.has(x)) ids.set(x, ++nextId);
  return ids.get(x)!;
};
const short = (name: string | undefined) => (name ?? '').split('.').pop()!;
const kindOf = (x: T) => (x.typeName.startsWith('union') ? 'union' : x.typeName === 'error' ? 'record' : x.typeName);
const NAMED = new Set(['record', 'enum', 'fixed']);

export function describeType(x: AvroType): string {
  const logical = logicalTypeOf(x);
  if (logical) return describeLogicalType(logical);
  const y = t(x);
  const k = kindOf(y);
  if (NAMED.has(k)) return `${k} ${short(y.name)}`;
  if (k === 'array') return `array<${describeType(y.itemsType!)}>`;
  if (k === 'map') return `map<${describeType(y.valuesType!)}>`;
  if (k === 'union') return `union [${y.types!.map(describeType).join(', ')}]`;
  return k;
}

const PROMOTIONS: Record<string, string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

function namesMatch(reader: T, writer: T): boolean {
  return short(reader.name) === short(writer.name) || (reader.aliases ?? []).some((a) => short(a) === short(writer.name));
}

/** Could the reader branch plausibly take the writer type (used to pick a union branch)? */
function sameShape(reader: T, writer: T): boolean {
  const rk = kindOf(reader);
  const wk = kindOf(writer);
  if (NAMED.has(rk)) return rk === wk && namesMatch(reader, writer);
  return rk === wk || (PROMOTIONS[wk] ?? []).includes(rk);
}

export function readIssues(reader: AvroType, writer: AvroType, path = '', seen = new Set<string>()): ReadIssue[] {
  const r = t(reader);
  const w = t(writer);
  const key = `${idOf(reader)}|${idOf(writer)}`; // recursive schemas revisit the same pair
  if (seen.has(key)) return [];
  seen.add(key);
  const rk = kindOf(r);
  const wk = kindOf(w);
  const here = path || short(r.name) || rk;
  const mismatch = (): ReadIssue[] => [
    { kind: 'type-mismatch', path: here, readerType: describeType(reader), writerType: describeType(writer) },
  ];

  if (wk === 'union') return w.types!.flatMap((branch) => readIssues(reader, branch, path, seen));
  if (rk === 'union') {
    const branch = r.types!.find((b) => sameShape(t(b), w));
    return branch ? readIssues(branch, writer, path, seen) : mismatch();
  }
  const meaning = () => meaningIssues(reader, writer, here, describeType);
  if (rk !== wk) return (PROMOTIONS[wk] ?? []).includes(rk) ? meaning() : mismatch();
  if (NAMED.has(rk) && !namesMatch(r, w)) {
    return [{ kind: 'name-mismatch', path: here, readerType: describeType(reader), writerType: describeType(writer) }];
  }
  switch (rk) {
    case 'record': {
      const base = path || short(r.name);
      return r.fields!.flatMap((rf) => {
        const names = [rf.name, ...(rf.aliases ?? [])];
        const wf = w.fields!.find((f) => names.includes(f.name));
        const fieldPath = `${base}.${rf.name}`;
        if (!wf) {
          return rf.defaultValue() === undefined
            ? [
                {
                  kind: 'missing-field' as const,
                  path: fieldPath,
                  readerType: describeType(rf.type),
                  writerType: 'absent',
                  detail: rf.name,
                },
              ]
            : [];
        }
        return readIssues(rf.type, wf.type, fieldPath, seen);
      });
    }
    case 'enum': {
      if (r.default !== undefined) return [];
      return w
        .symbols!.filter((sym) => !r.symbols!.includes(sym))
        .map((sym) => ({
          kind: 'enum-symbol' as const,
          path: here,
          readerType: describeType(reader),
          writerType: describeType(writer),
          detail: sym,
        }));
    }
    case 'array':
      return readIssues(r.itemsType!, w.itemsType!, `${here}[]`, seen);
    case 'map':
      return readIssues(r.valuesType!, w.valuesType!, `${here}{}`, seen);
    case 'fixed':
      return r.size === w.size
        ? meaning()
        : [{ kind: 'fixed-size', path: here, readerType: `fixed(${r.size})`, writerType: `fixed(${w.size})` }];
    default:
      return meaning();
  }
}

/** Which side of a check is the newer schema. */
export type Direction = 'new-reads-old' | 'old-reads-new' | 'edge';

export function explainIssue(issue: ReadIssue, direction: Direction): string {
  const at = `\`${issue.path}\``;
  const newReadsOld = direction === 'new-reads-old';
  const from = newReadsOld ? issue.writerType : issue.readerType;
  const to = newReadsOld ? issue.readerType : issue.writerType;
  switch (issue.kind) {
    case 'missing-field':
      if (direction === 'edge') return `${at}: the reader needs this field, the writer does not have it, and the reader gives no default`;
      return newReadsOld
        ? `${at}: field added without a default — readers with the new schema cannot fill it when reading old data`
        : `${at}: field removed without a default — readers with the old schema cannot fill it when reading new data`;
    case 'type-mismatch':
      if (direction === 'edge')
        return `${at}: written as \`${issue.writerType}\`, read as \`${issue.readerType}\`, which Avro cannot convert`;
      return `${at}: type changed from \`${from}\` to \`${to}\`, which Avro cannot convert ${newReadsOld ? 'for new readers of old data' : 'for old readers of new data'}`;
    case 'enum-symbol':
      if (direction === 'edge')
        return `${at}: enum symbol \`${issue.detail}\` may be written but the reader does not know it (and has no default symbol)`;
      return newReadsOld
        ? `${at}: enum symbol \`${issue.detail}\` removed — new readers cannot read old data that has it`
        : `${at}: enum symbol \`${issue.detail}\` added — old readers cannot read new data that has it (give the enum a default)`;
    case 'name-mismatch':
      return `${at}: named type changed from \`${from}\` to \`${to}\` without an alias`;
    case 'fixed-size':
      return `${at}: fixed size changed from \`${from}\` to \`${to}\``;
    case 'meaning-changed':
      return explainMeaningChange(issue, direction);
  }
}

export type CompatibilityLevel =
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE'
  | 'NONE';

export interface LevelProblem {
  /** Index into `previous` of the version it breaks against. */
  against: number;
  direction: Direction;
  issue: ReadIssue;
  message: string;
}

/**
 * Problems of registering `candidate` after `previous` (oldest first) under a compatibility level,
 * with the registry's semantics: BACKWARD = the new schema reads data written with the old ones,
 * FORWARD = the old ones read data written with the new one, FULL = both; plain levels check the
 * latest version only, _TRANSITIVE levels every version.
 */
export function levelProblems(level: CompatibilityLevel, candidate: AvroType, previous: AvroType[]): LevelProblem[] {
  if (level === 'NONE' || previous.length === 0) return [];
  const indexes = level.endsWith('_TRANSITIVE') ? previous.map((_, i) => i) : [previous.length - 1];
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const out: LevelProblem[] = [];
  for (const i of indexes) {
    const old = previous[i]!;
    if (backward)
      for (const issue of readIssues(candidate, old))
        out.push({ against: i, direction: 'new-reads-old', issue, message: explainIssue(issue, 'new-reads-old') });
    if (forward)
      for (const issue of readIssues(old, candidate))
        out.push({ against: i, direction: 'old-reads-new', issue, message: explainIssue(issue, 'old-reads-new') });
  }
  return out;
}
