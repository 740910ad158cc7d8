// A changed logical type changes what every stored value means, although Avro's resolution rules
// accept it: the checker reports it as breaking, naming the field and both logical types.
import { describe, expect, it } from 'vitest';
import { avroType, parseAvroSchema } from '../../../src/schema/avro.ts';
import { explainIssue, levelProblems, readIssues, type CompatibilityLevel } from '../../../src/schema/compat.ts';
import { splitMeaningChanges } from '../../../src/schema/meaning.ts';

const order = (fields: object[]) => ({ type: 'record', name: 'Order', namespace: 'meaning', fields });
const field = (name: string, type: unknown) => ({ name, type });
const millis = { type: 'long', logicalType: 'timestamp-millis' };
const micros = { type: 'long', logicalType: 'timestamp-micros' };
const decimal = (precision: number, scale: number) => ({ type: 'bytes', logicalType: 'decimal', precision, scale });
const line = (fields: object[]) => ({ type: 'record', name: 'Line', fields });

/** Messages of changing `before` into `after` under a level (deduplicated, as the check does). */
function messages(before: object, after: object, level: CompatibilityLevel = 'BACKWARD'): string[] {
  return [...new Set(levelProblems(level, avroType(after), [avroType(before)]).map((p) => p.message))];
}

const EVERY_VALUE = 'every stored value would be read as a different value';

describe('changes of meaning (logical types)', () => {
  it('timestamp-millis → timestamp-micros breaks under every level but NONE, in the same words', () => {
    const before = order([field('createdAt', millis)]);
    const after = order([field('createdAt', micros)]);
    const expected = [`\`Order.createdAt\`: meaning changed from \`timestamp-millis\` to \`timestamp-micros\` — ${EVERY_VALUE}`];
    for (const level of ['BACKWARD', 'FORWARD', 'FULL', 'BACKWARD_TRANSITIVE', 'FULL_TRANSITIVE'] as const)
      expect(messages(before, after, level), level).toEqual(expected);
    expect(messages(before, after, 'NONE')).toEqual([]);
  });

  it('removing a logical type: date → plain int', () => {
    expect(messages(order([field('day', { type: 'int', logicalType: 'date' })]), order([field('day', 'int')]))).toEqual([
      `\`Order.day\`: meaning changed from \`date\` to plain \`int\` — ${EVERY_VALUE}`,
    ]);
  });

  it('adding a logical type: plain bytes → decimal', () => {
    expect(messages(order([field('total', 'bytes')]), order([field('total', decimal(10, 2))]))).toEqual([
      `\`Order.total\`: meaning changed from plain \`bytes\` to \`decimal(10,2)\` — ${EVERY_VALUE}`,
    ]);
  });

  it('a decimal whose precision changes', () => {
    expect(messages(order([field('total', decimal(10, 2))]), order([field('total', decimal(12, 2))]), 'FULL')).toEqual([
      '`Order.total`: meaning changed from `decimal(10,2)` to `decimal(12,2)` (precision 10 → 12) — values valid under one precision may be out of range under the other',
    ]);
  });

  it('a decimal whose scale changes', () => {
    expect(messages(order([field('total', decimal(10, 2))]), order([field('total', decimal(10, 3))]))).toEqual([
      `\`Order.total\`: meaning changed from \`decimal(10,2)\` to \`decimal(10,3)\` (scale 2 → 3) — ${EVERY_VALUE}`,
    ]);
  });

  it('a promotion that also changes meaning: date (int) → timestamp-millis (long)', () => {
    expect(messages(order([field('at', { type: 'int', logicalType: 'date' })]), order([field('at', millis)]))).toEqual([
      `\`Order.at\`: meaning changed from \`date\` to \`timestamp-millis\` — ${EVERY_VALUE}`,
    ]);
  });

  it('an unchanged logical type is not reported, alongside a compatible change', () => {
    const fields = [field('createdAt', millis), field('total', decimal(10, 2)), field('day', { type: 'int', logicalType: 'date' })];
    const grown = [...fields, { ...field('note', 'string'), default: '' }];
    for (const level of ['BACKWARD', 'FORWARD', 'FULL'] as const) expect(messages(order(fields), order(grown), level)).toEqual([]);
  });

  it('finds fields in nested records, array items, map values and union branches', () => {
    const shape = (ts: object) =>
      order([
        field('customer', { type: 'record', name: 'Customer', fields: [field('since', ts)] }),
        field('lines', { type: 'array', items: line([field('shippedAt', ts)]) }),
        field('events', { type: 'map', values: ts }),
        { ...field('cancelledAt', ['null', ts]), default: null },
      ]);
    expect(messages(shape(millis), shape(micros)).map((m) => m.split(':')[0])).toEqual([
      '`Order.customer.since`',
      '`Order.lines[].shippedAt`',
      '`Order.events{}`',
      '`Order.cancelledAt`',
    ]);
    expect(messages(shape(millis), shape(millis))).toEqual([]);
  });

  it('a type change names the logical types too', () => {
    expect(messages(order([field('createdAt', millis)]), order([field('createdAt', 'string')]))).toEqual([
      '`Order.createdAt`: type changed from `timestamp-millis` to `string`, which Avro cannot convert for new readers of old data',
    ]);
  });

  it("explains a step's reader schema that reads with another meaning", () => {
    const [issue] = readIssues(avroType(order([field('createdAt', micros)])), avroType(order([field('createdAt', millis)])));
    expect(issue!.kind).toBe('meaning-changed');
    expect(explainIssue(issue!, 'edge')).toBe(
      `\`Order.createdAt\`: written as \`timestamp-millis\`, read as \`timestamp-micros\` — ${EVERY_VALUE}`,
    );
  });

  it('a changed logical type makes a different canonical schema (not "unchanged")', () => {
    const canonical = (schema: object) => parseAvroSchema(JSON.stringify(schema), 'Order.avsc').canonical;
    expect(canonical(order([field('createdAt', millis)]))).not.toBe(canonical(order([field('createdAt', micros)])));
    expect(canonical(order([field('total', decimal(10, 2))]))).not.toBe(canonical(order([field('total', decimal(10, 3))])));
    expect(canonical(order([field('createdAt', millis)]))).toBe(
      parseAvroSchema(JSON.stringify(order([field('createdAt', millis)]), null, 4), 'Order.avsc').canonical,
    );
  });

  it('splits explained meaning changes from the other problems (for an accepting subject)', () => {
    const before = order([field('createdAt', millis), field('amount', 'long')]);
    const after = order([field('createdAt', micros), field('amount', 'string')]);
    const problems = messages(before, after).map((message) => ({ against: 'v1', message }));
    const { meaning, others } = splitMeaningChanges(problems);
    expect(meaning.map((p) => p.message)).toEqual([expect.stringContaining('`Order.createdAt`: meaning changed')]);
    expect(others.map((p) => p.message)).toEqual([expect.stringContaining('`Order.amount`: type changed')]);
  });
});
