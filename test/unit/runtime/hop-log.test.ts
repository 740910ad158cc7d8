// Hops are visible: a log line per retry hop and DLQ write with step, origin, attempt and error
// class — at most ten a second per step, the rest counted into the next line.
import { describe, expect, it } from 'vitest';
import { classify } from '../../../src/retry/classify.ts';
import { hopFor } from '../../../src/retry/hops.ts';
import { readEnvelope } from '../../../src/retry/envelope.ts';
import { HopLog } from '../../../src/runtime/hop-log.ts';
import { VirtualClock } from '../../../src/testing/clock.ts';
import { captureLogs } from '../../helpers/log-capture.ts';
import { compileStep, IN } from './fixtures.ts';

function capture() {
  const { lines, logger } = captureLogs();
  return { lines, log: logger };
}

const record = (offset: number) => ({
  topic: IN,
  partition: 2,
  offset,
  key: Buffer.from('k'),
  value: Buffer.from('v'),
  headers: [],
  timestamp: 1,
  size: 2,
});

describe('hop log', () => {
  it('logs a retry hop at info and a DLQ write at warn, with origin, attempt, error class and reason', () => {
    const { step } = compileStep();
    const { lines, log } = capture();
    const clock = new VirtualClock(1_000_000);
    const hops = new HopLog(step, log, clock);
    const raw = record(7);
    const envelope = readEnvelope(raw);
    const failure = classify(new Error('partner said no'), step.retry);
    hops.hopped(hopFor(step, raw, envelope, failure, clock.now()), envelope, failure);
    const last = { ...envelope, attempt: step.retry.tiers.length + 1 };
    hops.hopped(hopFor(step, raw, last, failure, clock.now()), last, failure);
    expect(lines.map((l) => [l.level, l.msg, l.origin, l.attempt, l.errorClass, l.reason])).toEqual([
      [30, 'record sent to a retry tier', `${IN}/2@7`, 1, 'Error', 'partner said no'],
      [40, 'record dead-lettered', `${IN}/2@7`, step.retry.tiers.length + 1, 'Error', 'partner said no'],
    ]);
    expect(lines[0]!.to).toBe(step.retry.tiers[0]!.topic);
    expect(lines[1]!.to).toBe(step.retry.dlq);
  });

  it('writes at most ten lines a second; the next line counts the hops not logged', () => {
    const { step } = compileStep();
    const { lines, log } = capture();
    const clock = new VirtualClock(1_000_000);
    const hops = new HopLog(step, log, clock);
    const failure = classify(new Error('boom'), step.retry);
    for (let i = 0; i < 25; i++) {
      const raw = record(i);
      const envelope = readEnvelope(raw);
      hops.hopped(hopFor(step, raw, envelope, failure, clock.now()), envelope, failure);
    }
    expect(lines).toHaveLength(10);
    clock.fireUntil(clock.now() + 1_000);
    const raw = record(99);
    const envelope = readEnvelope(raw);
    hops.hopped(hopFor(step, raw, envelope, failure, clock.now()), envelope, failure);
    expect(lines).toHaveLength(11);
    expect(lines[10]!.hopsNotLogged).toBe(15);
    expect(lines.slice(0, 10).every((l) => l.hopsNotLogged === undefined)).toBe(true);
  });
});
