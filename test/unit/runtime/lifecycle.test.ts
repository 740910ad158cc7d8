// The lifecycle table: which state may follow which, and where each kind of failure leads. The
// failure mapping is written out here as the spec (not read back from TABLE), so a changed row fails.
import { describe, expect, it } from 'vitest';
import { KafkaError, type KafkaErrorKind } from '../../../src/kafka/errors.ts';
import { IllegalTransition, kindOf, Lifecycle, TABLE, type FailureKind, type State } from '../../../src/runtime/lifecycle.ts';
import { TransientFailure } from '../../../src/runtime/strategy.ts';
import { RegistryUnavailableError } from '../../../src/schema/errors.ts';
import { SinkFenced } from '../../../src/sinks/sink.ts';

const STATES = Object.keys(TABLE) as State[];
const KINDS: FailureKind[] = ['abortable', 'retriable', 'indefinite', 'fenced', 'fatal'];
const kafka = (kind: KafkaErrorKind) => new KafkaError(kind, 'transaction.commit', undefined, `a ${kind} failure`);

type Row = Partial<Record<FailureKind, State>>;
const REJOIN: Row = { abortable: 'rejoining', retriable: 'rejoining', indefinite: 'rejoining', fenced: 'rejoining', fatal: 'stopped' };
const TRANSACTION: Row = { abortable: 'aborting', retriable: 'aborting', indefinite: 'replacing', fenced: 'rejoining', fatal: 'stopped' };
/** Where each failure leads; absent: the state cannot fail (fail() is a bug there). */
const FAILURES: Record<State, Row> = {
  starting: REJOIN,
  rebalancing: REJOIN,
  collecting: { abortable: 'collecting', retriable: 'collecting', indefinite: 'collecting', fenced: 'rejoining', fatal: 'stopped' },
  processing: { abortable: 'rewinding', retriable: 'rewinding', indefinite: 'rewinding', fenced: 'rejoining', fatal: 'stopped' },
  settling: TRANSACTION,
  producing: TRANSACTION,
  aborting: { abortable: 'replacing', retriable: 'replacing', indefinite: 'replacing', fenced: 'rejoining', fatal: 'stopped' },
  replacing: REJOIN,
  rewinding: REJOIN,
  rejoining: {},
  closing: {},
  stopped: {},
};

type Step = { go: State } | { fail: FailureKind };

/** Shortest way from 'starting' to every state, over successes and failures alike. */
function paths(): Map<State, Step[]> {
  const found = new Map<State, Step[]>([['starting', []]]);
  const queue: State[] = ['starting'];
  while (queue.length) {
    const s = queue.shift()!;
    const edges: Array<[Step, State]> = [
      ...TABLE[s].next.map((n): [Step, State] => [{ go: n }, n]),
      ...Object.entries(TABLE[s].failure).map(([k, n]): [Step, State] => [{ fail: k as FailureKind }, n]),
    ];
    for (const [step, n] of edges) {
      if (found.has(n)) continue;
      found.set(n, [...found.get(s)!, step]);
      queue.push(n);
    }
  }
  return found;
}

/** A lifecycle brought into `state` along its shortest path, recording transitions from then on. */
function at(state: State) {
  const seen: Array<[State, State, Error | undefined]> = [];
  let recording = false;
  const lc = new Lifecycle((from, to, reason) => recording && seen.push([from, to, reason]));
  for (const step of paths().get(state)!) {
    if ('go' in step) lc.go(step.go);
    else lc.fail(kafka(step.fail));
  }
  expect(lc.state).toBe(state);
  recording = true;
  return { lc, seen };
}

describe('lifecycle table', () => {
  it("every state is reachable from 'starting', and 'stopped' from every state", () => {
    expect([...paths().keys()].sort()).toEqual([...STATES].sort());
    const exits = (s: State): State[] => [...TABLE[s].next, ...Object.values(TABLE[s].failure)];
    for (const s of STATES) {
      const reach = new Set<State>([s]);
      for (const q = [s]; q.length; ) {
        for (const n of exits(q.shift()!)) {
          if (!reach.has(n)) q.push(n);
          reach.add(n);
        }
      }
      expect(reach.has('stopped'), `${s} cannot end`).toBe(true);
    }
  });

  it("'stopped' has no exits", () => {
    expect(TABLE.stopped.next).toEqual([]);
    expect(TABLE.stopped.failure).toEqual({});
    const { lc } = at('stopped');
    for (const s of STATES) expect(() => lc.go(s)).toThrow(IllegalTransition);
    for (const k of KINDS) expect(() => lc.fail(kafka(k))).toThrow(IllegalTransition);
    expect(lc.state).toBe('stopped');
  });

  it.each(STATES)('%s: go() accepts exactly the listed next states', (state) => {
    for (const next of STATES) {
      const { lc, seen } = at(state);
      if (TABLE[state].next.includes(next)) {
        lc.go(next);
        expect(lc.state).toBe(next);
        expect(seen).toEqual([[state, next, undefined]]);
      } else {
        expect(() => lc.go(next)).toThrow(new IllegalTransition(`${state} → ${next} is not a transition of the worker lifecycle`));
        expect(lc.state).toBe(state);
        expect(seen).toEqual([]);
      }
    }
  });

  it.each(STATES)('%s: fail() leads where the spec says, with the reason', (state) => {
    for (const kind of KINDS) {
      const { lc, seen } = at(state);
      const err = kafka(kind);
      const expected = FAILURES[state][kind];
      if (expected) {
        expect(lc.fail(err)).toBe(expected);
        expect(lc.state).toBe(expected);
        expect(seen).toEqual([[state, expected, err]]);
      } else {
        expect(() => lc.fail(err)).toThrow(IllegalTransition);
        expect(lc.state).toBe(state);
      }
    }
  });

  it('fail() wraps a non-Error reason and treats it as fatal', () => {
    const { lc, seen } = at('collecting');
    expect(lc.fail('boom')).toBe('stopped');
    expect(seen[0]![2]).toEqual(new Error('boom'));
  });
});

describe('kindOf', () => {
  it.each(KINDS)('a KafkaError of kind %s is that kind', (kind) => {
    expect(kindOf(kafka(kind))).toBe(kind);
  });

  it('SinkFenced is fenced; a registry outage and a TransientFailure are retriable; anything else is fatal', () => {
    expect(kindOf(new SinkFenced('claim taken'))).toBe('fenced');
    expect(kindOf(new RegistryUnavailableError('registry down'))).toBe('retriable');
    expect(kindOf(new TransientFailure(new Error('connection refused')))).toBe('retriable');
    expect(kindOf(new Error('a bug'))).toBe('fatal');
    expect(kindOf(new TypeError('x is undefined'))).toBe('fatal');
    expect(kindOf('a string')).toBe('fatal');
    expect(kindOf(undefined)).toBe('fatal');
  });

  it('the same failures through fail(): SinkFenced rejoins, a registry outage while processing rewinds', () => {
    const settling = at('settling').lc;
    expect(settling.fail(new SinkFenced('claim taken'))).toBe('rejoining');
    const processing = at('processing').lc;
    expect(processing.fail(new RegistryUnavailableError('registry down'))).toBe('rewinding');
    const producing = at('producing').lc;
    expect(producing.fail(new TransientFailure(new Error('db down')))).toBe('aborting');
    expect(at('starting').lc.fail(new Error('a bug'))).toBe('stopped');
  });
});
