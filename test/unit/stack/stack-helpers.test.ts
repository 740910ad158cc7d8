import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newClusterId } from '../../../scripts/stack/kafka.ts';
import { StackError } from '../../../scripts/stack/proc.ts';

describe('newClusterId', () => {
  it('makes Kafka-format ids that never start with "-" (kafka-storage would read one as an option)', () => {
    const ids = Array.from({ length: 20_000 }, newClusterId);
    // About 312 of 20,000 plain random ids start with '-'; none of these may.
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    for (const id of ids.slice(0, 500)) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('StackError', () => {
  it('carries the last lines of the log it points at, so CI output shows the cause', () => {
    const log = join(mkdtempSync(join(tmpdir(), 'weir-stack-')), 'kafka.log');
    writeFileSync(log, Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    const err = new StackError('formatting failed', log);
    expect(err.message).toContain(`see the log: ${log}`);
    expect(err.message).toContain('    | line 40');
    expect(err.message).toContain('    | line 26');
    expect(err.message).not.toContain('line 25\n');
  });

  it('says nothing more when the log does not exist', () => {
    expect(new StackError('boom', '/nonexistent/weir.log').message).toBe('boom\n  see the log: /nonexistent/weir.log');
  });
});
