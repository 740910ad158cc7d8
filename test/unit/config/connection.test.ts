import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findEnvFile, formatEnvFile, loadConnectionSettings, parseEnvFile } from '../../../src/config/connection.ts';

describe('connection settings', () => {
  it('round-trips the env file format, quotes included', () => {
    const values = { A: 'x=y', B: 'with "quotes" and spaces' };
    expect(parseEnvFile(formatEnvFile(values, 'header'))).toEqual(values);
  });

  it('finds .weir/stack.env above the working directory; the environment wins over the file', () => {
    const root = mkdtempSync(join(tmpdir(), 'weir-conn-'));
    mkdirSync(join(root, '.weir'));
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    writeFileSync(join(root, '.weir', 'stack.env'), 'KAFKA_BOOTSTRAP_SERVERS="file:1"\nREDIS_URL=redis://file\n');
    const from = join(root, 'a', 'b');
    expect(findEnvFile(from, {})).toBe(join(root, '.weir', 'stack.env'));
    const s = loadConnectionSettings(['KAFKA_BOOTSTRAP_SERVERS', 'REDIS_URL'], from, { REDIS_URL: 'redis://env' });
    expect(s).toEqual({ KAFKA_BOOTSTRAP_SERVERS: 'file:1', REDIS_URL: 'redis://env' });
  });

  it('names what is missing and how to provide it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'weir-conn-'));
    expect(() => loadConnectionSettings(['DATABASE_URL'], empty, {})).toThrow(/missing connection settings: DATABASE_URL.*stack:up/);
  });
});
