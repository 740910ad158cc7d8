// Changes of meaning: a logical type says what a stored value means — the same long is milliseconds
// or microseconds, the same bytes are a decimal with scale 2 or 3. Avro's resolution rules (and the
// registry) ignore logical types, so such a change reads without error while every existing value
// is read as a different one. The schema checks therefore report it as breaking.
import type { AvroType } from './avro.ts';
import type { Direction, ReadIssue } from './compat.ts';
import { logicalTypeOf, sameLogicalType, type LogicalTypeInfo } from './logical.ts';

/** Every explanation of a meaning change starts with its path and this: verdicts carry only the words. */
const MEANING_CHANGED = 'meaning changed from';
const EXPLAINED_MEANING_CHANGE = new RegExp(`^\`[^\`]+\`: ${MEANING_CHANGED} `);

/**
 * The issue when the reader gives the writer's values another meaning; none when they agree.
 * `describe` is compat.ts's describeType, passed in so the two modules do not import each other.
 */
export function meaningIssues(reader: AvroType, writer: AvroType, path: string, describe: (x: AvroType) => string): ReadIssue[] {
  const readerLogical = logicalTypeOf(reader);
  const writerLogical = logicalTypeOf(writer);
  if (sameLogicalType(readerLogical, writerLogical)) return [];
  return [
    {
      kind: 'meaning-changed',
      path,
      readerType: describe(reader),
      writerType: describe(writer),
      meaning: { reader: readerLogical, writer: writerLogical },
    },
  ];
}

const shown = (described: string, logical: LogicalTypeInfo | undefined) => (logical ? `\`${described}\`` : `plain \`${described}\``);

/** What differs between two decimals, e.g. `precision 10 → 12`; empty for other logical types. */
function decimalDifference(from: LogicalTypeInfo | undefined, to: LogicalTypeInfo | undefined): string[] {
  if (from?.name !== 'decimal' || to?.name !== 'decimal') return [];
  return [
    ...(from.precision !== to.precision ? [`precision ${from.precision} → ${to.precision}`] : []),
    ...(from.scale !== to.scale ? [`scale ${from.scale} → ${to.scale}`] : []),
  ];
}

export function explainMeaningChange(issue: ReadIssue, direction: Direction): string {
  const at = `\`${issue.path}\``;
  const reader = shown(issue.readerType, issue.meaning?.reader);
  const writer = shown(issue.writerType, issue.meaning?.writer);
  // Precision alone bounds the values, it does not reinterpret them.
  const { reader: r, writer: w } = issue.meaning ?? {};
  const precisionOnly = r?.name === 'decimal' && w?.name === 'decimal' && r.scale === w.scale;
  const consequence = precisionOnly
    ? 'values valid under one precision may be out of range under the other'
    : 'every stored value would be read as a different value';
  if (direction === 'edge') return `${at}: written as ${writer}, read as ${reader} — ${consequence}`;
  const newReadsOld = direction === 'new-reads-old';
  const [from, to] = newReadsOld ? [writer, reader] : [reader, writer];
  const difference = decimalDifference(newReadsOld ? w : r, newReadsOld ? r : w);
  return `${at}: ${MEANING_CHANGED} ${from} to ${to}${difference.length ? ` (${difference.join(', ')})` : ''} — ${consequence}`;
}

/** Splits explained problems into meaning changes and the others (for a subject that accepts them). */
export function splitMeaningChanges<P extends { message: string }>(problems: P[]): { meaning: P[]; others: P[] } {
  const isMeaning = (p: P) => EXPLAINED_MEANING_CHANGE.test(p.message);
  return { meaning: problems.filter(isMeaning), others: problems.filter((p) => !isMeaning(p)) };
}
