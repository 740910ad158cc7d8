import { describe, expect, it } from 'vitest';
import { formatHelp, parseArgs, UsageError, type OptionSpec } from '../../../src/cli/args.ts';

const options: OptionSpec[] = [
  { name: 'json', type: 'boolean', description: 'json' },
  { name: 'format', type: 'string', description: 'fmt', choices: ['mermaid', 'dot'], default: 'mermaid' },
  { name: 'limit', type: 'number', range: { integer: true, min: 1 }, description: 'n' },
  { name: 'step', type: 'list', description: 'steps', short: 's' },
];

describe('parseArgs', () => {
  it('parses flags, values, defaults, lists and positionals', () => {
    const parsed = parseArgs(
      'x',
      options,
      [{ name: 'files', description: '', variadic: true }],
      ['a.yaml', '--json', '--limit=5', '-s', 'one,two', 'b.yaml'],
    );
    expect(parsed).toEqual({
      options: { json: true, format: 'mermaid', limit: 5, step: ['one', 'two'] },
      positionals: ['a.yaml', 'b.yaml'],
    });
  });

  it('accumulates a repeated list option', () => {
    expect(parseArgs('x', options, [], ['--step', 'a', '-s', 'b,c']).options.step).toEqual(['a', 'b', 'c']);
  });

  it('names the unknown option and what was expected', () => {
    expect(() => parseArgs('plan', options, [], ['--jsno'])).toThrow(
      /unknown option --jsno for `weir plan`; expected --json, --format, --limit, --step/,
    );
  });

  it('rejects bad values with what was expected', () => {
    expect(() => parseArgs('x', options, [], ['--format', 'png'])).toThrow(/--format must be one of mermaid, dot; got "png"/);
    expect(() => parseArgs('x', options, [], ['--limit', 'ten'])).toThrow(/--limit expects a whole number ≥ 1; got "ten"/);
    expect(() => parseArgs('x', options, [], ['--limit', '-5'])).toThrow(/--limit expects a whole number ≥ 1; got -5/);
    expect(() => parseArgs('x', options, [], ['--limit'])).toThrow(UsageError);
    expect(() => parseArgs('x', options, [], ['--json=yes'])).toThrow(/takes no value/);
  });

  it('checks positionals', () => {
    expect(() => parseArgs('x', [], [{ name: 'topic', description: '', required: true }], [])).toThrow(/missing <topic>/);
    expect(() => parseArgs('x', [], [], ['extra'])).toThrow(/takes no arguments/);
  });

  it('help lists every option with choices and defaults', () => {
    const help = formatHelp('graph', 'draw', options, []);
    expect(help).toContain('--format <value>');
    expect(help).toContain('one of: mermaid, dot; default: mermaid');
    expect(help).toContain('-s, --step');
    expect(help).toMatch(/--limit <value> +n \(whole number ≥ 1\)/);
  });
});
