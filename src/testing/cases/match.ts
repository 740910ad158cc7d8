// Comparing what a test expects with what the pipeline did. Objects match when every expected
// field matches (extra fields are fine: a test names what it cares about); lists of records match
// one to one, in any order across keys but in order within a key; scalars compare as text where a
// number meets a string ("25.00" and 25.00 are the same amount to a reader of YAML).
import type { Path } from '../../topology/source.ts';

export interface Mismatch {
  /** Path from the expectation's root to the expected value that did not match. */
  path: Path;
  message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

function show(v: unknown): string {
  if (Buffer.isBuffer(v)) return `<${v.length} bytes ${v.subarray(0, 16).toString('hex')}${v.length > 16 ? '…' : ''}>`;
  if (typeof v === 'bigint') return `${v}`;
  const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}` : x));
  return text === undefined ? String(v) : text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

/** Every mismatch of `actual` against `expected` (empty: it matches). */
export function match(expected: unknown, actual: unknown, path: Path = []): Mismatch[] {
  if (isObject(expected)) {
    if (!isObject(actual)) return [{ path, message: `expected an object like ${show(expected)}\nreceived ${show(actual)}` }];
    return Object.entries(expected).flatMap(([k, v]) =>
      k in actual
        ? match(v, actual[k], [...path, k])
        : [
            {
              path: [...path, k],
              message: `expected field \`${k}\` = ${show(v)}\nreceived no such field (has: ${Object.keys(actual).join(', ')})`,
            },
          ],
    );
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [{ path, message: `expected a list ${show(expected)}\nreceived ${show(actual)}` }];
    if (actual.length !== expected.length)
      return [{ path, message: `expected ${expected.length} items\nreceived ${actual.length}: ${show(actual)}` }];
    return expected.flatMap((e, i) => match(e, actual[i], [...path, i]));
  }
  if (Buffer.isBuffer(actual) && typeof expected === 'string')
    return actual.toString('utf8') === expected ? [] : [{ path, message: `expected ${show(expected)}\nreceived ${show(actual)}` }];
  const same =
    expected === actual ||
    (expected !== null &&
      actual !== null &&
      typeof expected !== 'object' &&
      typeof actual !== 'object' &&
      String(expected) === String(actual));
  return same ? [] : [{ path, message: `expected ${show(expected)}\nreceived ${show(actual)}` }];
}

/**
 * Records: the same number, each expected one matched by a distinct received one (first that
 * matches), and records of one key received in the order they are expected.
 */
export function matchRecords(expected: unknown[], actual: Array<Record<string, unknown>>, path: Path = []): Mismatch[] {
  if (expected.length !== actual.length) {
    return [
      {
        path,
        message: `expected ${expected.length} record${expected.length === 1 ? '' : 's'}\nreceived ${actual.length}${actual.length ? `:\n  ${actual.map(show).join('\n  ')}` : ''}`,
      },
    ];
  }
  const used = new Set<number>();
  const chosen: number[] = [];
  for (const [i, e] of expected.entries()) {
    const found = actual.findIndex((a, j) => !used.has(j) && match(e, a).length === 0);
    if (found < 0) {
      // Explain against the closest unused record: the one with the fewest mismatches.
      const candidates = actual.map((a, j) => ({ j, m: match(e, a, [...path, i]) })).filter((c) => !used.has(c.j));
      const best = candidates.sort((a, b) => a.m.length - b.m.length)[0]!;
      return best.m;
    }
    used.add(found);
    chosen.push(found);
  }
  const keyOf = (a: Record<string, unknown>) => show(a.key);
  for (let i = 1; i < chosen.length; i++) {
    for (let j = 0; j < i; j++) {
      const [a, b] = [actual[chosen[j]!]!, actual[chosen[i]!]!];
      if (keyOf(a) === keyOf(b) && chosen[j]! > chosen[i]!)
        return [{ path: [...path, i], message: `records of key ${keyOf(a)} came in another order: this one before item ${j}` }];
    }
  }
  return [];
}
