// The offline checker gives the Avro specification's verdict on every case of the table; the
// integration suite asks the registry the same questions.
import { describe, expect, it } from 'vitest';
import { avroType } from '../../../src/schema/avro.ts';
import { explainIssue, levelProblems, readIssues } from '../../../src/schema/compat.ts';
import { COMPAT_CASES } from '../../helpers/compat-cases.ts';

describe('offline compatibility checker', () => {
  it('has at least 20 cases covering every level', () => {
    expect(COMPAT_CASES.length).toBeGreaterThanOrEqual(20);
    expect(new Set(COMPAT_CASES.map((c) => c.level))).toEqual(
      new Set(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE']),
    );
  });

  it.each(COMPAT_CASES)('$level: $name → compatible=$compatible', (c) => {
    const problems = levelProblems(c.level, avroType(c.candidate), c.previous.map(avroType));
    expect(problems.length === 0, problems.map((p) => p.message).join('\n')).toBe(c.compatible);
  });

  it('explains breaks in words, from the direction that breaks', () => {
    const old = avroType({
      type: 'record',
      name: 'OrderCreated',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'amount', type: 'long' },
      ],
    });
    const removed = avroType({ type: 'record', name: 'OrderCreated', fields: [{ name: 'id', type: 'string' }] });
    const [forward] = levelProblems('FORWARD', removed, [old]);
    expect(forward!.message).toBe(
      '`OrderCreated.amount`: field removed without a default — readers with the old schema cannot fill it when reading new data',
    );
    const retyped = avroType({
      type: 'record',
      name: 'OrderCreated',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'amount', type: 'string' },
      ],
    });
    expect(levelProblems('BACKWARD', retyped, [old])[0]!.message).toBe(
      '`OrderCreated.amount`: type changed from `long` to `string`, which Avro cannot convert for new readers of old data',
    );
    const e1 = avroType({ type: 'enum', name: 'Status', symbols: ['OPEN', 'CANCELLED'] });
    const e2 = avroType({ type: 'enum', name: 'Status', symbols: ['OPEN'] });
    expect(explainIssue(readIssues(e2, e1)[0]!, 'new-reads-old')).toBe(
      '`Status`: enum symbol `CANCELLED` removed — new readers cannot read old data that has it',
    );
  });

  it('handles recursive schemas', () => {
    const node = {
      type: 'record',
      name: 'Node',
      fields: [
        { name: 'v', type: 'int' },
        { name: 'next', type: ['null', 'Node'], default: null },
      ],
    };
    expect(readIssues(avroType(node), avroType(node))).toEqual([]);
  });
});
