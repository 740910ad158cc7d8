// Every number option declares its range (the OptionSpec type requires it) and parseArgs checks it:
// `--limit -5`, `--rate 0`, `--max-redrives -1`, `--metrics-port 99999` are usage errors (exit 2)
// naming the flag and what it accepts, before any connection is made.
import { describe, expect, it } from 'vitest';
import { describeRange, parseArgs, UsageError, type NumberRange, type OptionSpec } from '../../../src/cli/args.ts';
import type { Command } from '../../../src/cli/command.ts';
import { COMMAND_NAMES, loadCommand, runCli } from '../../../src/cli/run.ts';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

type NumberOption = Extract<OptionSpec, { type: 'number' }>;
const commands: Command[] = await Promise.all(COMMAND_NAMES.map((n) => loadCommand(n)));
const numberOptions = commands.flatMap((c) =>
  c.options.filter((o): o is NumberOption => o.type === 'number').map((o) => [`${c.name} --${o.name}`, c, o] as const),
);

/** A value just outside the range: every declared range must exclude something. */
function outside(r: NumberRange): string | undefined {
  if (r.min !== undefined) return String(r.min - 1);
  if (r.above !== undefined) return String(r.above);
  if (r.max !== undefined) return String(r.max + 1);
  if (r.integer) return '0.5';
  return undefined;
}

describe('the range of every number option', () => {
  it('there are number options to check', () => {
    expect(numberOptions.map(([label]) => label)).toEqual(
      expect.arrayContaining(['dlq show --limit', 'dlq redrive --rate', 'dlq redrive --max-redrives', 'run --metrics-port']),
    );
  });

  it.each(numberOptions)('%s: rejects a value outside its range, accepts its default, shows the range in --help', async (_l, c, o) => {
    const bad = outside(o.range);
    expect(bad, `--${o.name} of weir ${c.name} declares a range that excludes nothing`).toBeDefined();
    expect(() => parseArgs(c.name, c.options, [], [`--${o.name}=${bad}`])).toThrow(
      new UsageError(`--${o.name} expects ${describeRange(o.range)}; got ${bad}`, c.name),
    );
    if (o.default !== undefined)
      expect(parseArgs(c.name, c.options, [], [`--${o.name}`, String(o.default)]).options[o.name]).toBe(o.default);
    expect((await run(...c.name.split(' '), '--help')).out).toContain(describeRange(o.range).replace(/^a /, ''));
  });
});

describe('range errors through the CLI: exit 2, the flag and the range named', () => {
  it.each([
    [['dlq', 'show', '--limit', '-5'], '--limit expects a whole number ≥ 1; got -5'],
    [['dlq', 'redrive', '--rate', '0'], '--rate expects a number > 0; got 0'],
    [['dlq', 'redrive', '--max-redrives', '-1'], '--max-redrives expects a whole number ≥ 1; got -1'],
    [['dlq', 'redrive', '--batch', '2.5'], '--batch expects a whole number ≥ 1; got 2.5'],
    [['run', '--metrics-port', '99999'], '--metrics-port expects a whole number from 0 to 65535; got 99999'],
    [['lag', '--interval', '0'], '--interval expects a number > 0 and ≤ 86400; got 0'],
    [['replay', '--to-offset', '-1'], '--to-offset expects a whole number ≥ 0; got -1'],
    [['replay', '--shift-by', '1.5'], '--shift-by expects a whole number; got 1.5'],
    [['consume', 't', '--partition', '-1'], '--partition expects a whole number ≥ 0; got -1'],
    [['consume', 't', '--count', '0'], '--count expects a whole number ≥ 1; got 0'],
    [['produce', 't', '--partition', 'one'], '--partition expects a whole number ≥ 0; got "one"'],
  ])('weir %j', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('values inside the range pass: negative where negative means something, fractions where they do', () => {
    const opts = (name: string) => commands.find((c) => c.name === name)!.options;
    expect(parseArgs('replay', opts('replay'), [], ['--shift-by', '-100']).options['shift-by']).toBe(-100);
    expect(parseArgs('consume', opts('consume'), [], ['--offset', '-10']).options.offset).toBe(-10);
    expect(parseArgs('dlq redrive', opts('dlq redrive'), [], ['--rate', '0.5']).options.rate).toBe(0.5);
    expect(parseArgs('run', opts('run'), [], ['--metrics-port', '0']).options['metrics-port']).toBe(0);
    expect(parseArgs('run', opts('run'), [], ['--metrics-port', '65535']).options['metrics-port']).toBe(65535);
  });
});

describe('describeRange', () => {
  it('says what is accepted', () => {
    expect(describeRange({})).toBe('a number');
    expect(describeRange({ integer: true })).toBe('a whole number');
    expect(describeRange({ integer: true, min: 1 })).toBe('a whole number ≥ 1');
    expect(describeRange({ integer: true, min: 0, max: 65535 })).toBe('a whole number from 0 to 65535');
    expect(describeRange({ above: 0 })).toBe('a number > 0');
    expect(describeRange({ above: 0, max: 10 })).toBe('a number > 0 and ≤ 10');
    expect(describeRange({ max: 10 })).toBe('a number ≤ 10');
  });

  it('whole numbers are safe integers: an offset past 2^53 is not silently another one', () => {
    const spec: OptionSpec = { name: 'n', type: 'number', range: { integer: true }, description: '' };
    expect(() => parseArgs('x', [spec], [], ['--n', '9007199254740993'])).toThrow(/--n expects a whole number; got 9007199254740993/);
  });
});
