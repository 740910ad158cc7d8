import { describe, expect, it } from 'vitest';
import { formatDuration, formatSize, humanDuration, parseDuration, parseSize } from '../../../src/topology/spec/index.ts';
import { envRefs, MissingEnvironmentVariable, resolveTemplate } from '../../../src/topology/templates.ts';

describe('environment templates', () => {
  it('finds references, with and without defaults', () => {
    expect(envRefs('http://${HOST}:${PORT:-8080}/x')).toEqual({ refs: [{ name: 'HOST' }, { name: 'PORT', fallback: '8080' }] });
    expect(envRefs('${BROKEN').malformed).toBe('${BROKEN');
    expect(envRefs('${1BAD}').malformed).toBe('${1BAD}');
  });

  it('resolves, falls back, and names the option and variable when one is missing', () => {
    expect(resolveTemplate('${A}-${B:-b}', { A: 'a' }, 'x')).toBe('a-b');
    expect(() => resolveTemplate('Bearer ${TOKEN}', {}, 'steps.notify.sink.http.headers.Authorization')).toThrow(
      MissingEnvironmentVariable,
    );
    expect(() => resolveTemplate('${TOKEN}', {}, 'steps.notify.url')).toThrow(
      'steps.notify.url uses ${TOKEN}, but the environment variable TOKEN is not set',
    );
  });
});

describe('durations and sizes', () => {
  it.each([
    ['100ms', 100],
    ['5s', 5_000],
    ['1.5s', 1_500],
    ['5m', 300_000],
    ['7d', 604_800_000],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it('rejects durations without units and formats back', () => {
    expect(parseDuration('100')).toBeUndefined();
    expect(parseDuration('5 sec')).toBeUndefined();
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(1_500)).toBe('1500ms');
    expect(humanDuration(530_100)).toBe('530.1s');
  });

  it('parses sizes with binary and decimal units', () => {
    expect(parseSize('1MiB')).toBe(1_048_576);
    expect(parseSize('64KB')).toBe(64_000);
    expect(parseSize('1 MB')).toBe(1_000_000);
    expect(formatSize(1_048_576)).toBe('1MiB');
  });
});
