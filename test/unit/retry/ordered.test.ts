import { describe, expect, it } from 'vitest';
import { decodeMembers, encodeMembers, KeyChains } from '../../../src/retry/ordered.ts';

describe('ordered retries bookkeeping', () => {
  it('followers park behind the head, move with it, and are processed after it, in order', () => {
    const chains = new KeyChains();
    const INPUT = -1;
    // batch 1 (input): r10 fails into tier 0; r11 and r12 of the same key follow it.
    const b1 = chains.stage();
    expect(b1.decide(0, 'K', 10, INPUT)).toEqual({ kind: 'process' });
    b1.entered(0, 'K', 10, 0);
    expect(b1.decide(0, 'K', 11, INPUT)).toEqual({ kind: 'follow', tier: 0 });
    expect(b1.decide(0, 'K', 12, INPUT)).toEqual({ kind: 'follow', tier: 0 });
    expect(b1.decide(0, 'other', 13, INPUT)).toEqual({ kind: 'process' });
    b1.apply();
    // tier 0: the head fails again → tier 1; the followers move to tier 1 behind it.
    const b2 = chains.stage();
    expect(b2.decide(0, 'K', 10, 0)).toEqual({ kind: 'process' });
    b2.entered(0, 'K', 10, 1);
    expect(b2.decide(0, 'K', 11, 0)).toEqual({ kind: 'follow', tier: 1 });
    expect(b2.decide(0, 'K', 12, 0)).toEqual({ kind: 'follow', tier: 1 });
    b2.apply();
    // tier 1: the head succeeds; r11 becomes the head and is processed; so is r12 after it.
    const b3 = chains.stage();
    expect(b3.decide(0, 'K', 10, 1)).toEqual({ kind: 'process' });
    b3.left(0, 'K', 10);
    expect(b3.decide(0, 'K', 11, 1)).toEqual({ kind: 'process' });
    b3.left(0, 'K', 11);
    expect(b3.decide(0, 'K', 12, 1)).toEqual({ kind: 'process' });
    b3.left(0, 'K', 12);
    expect(encodeMembers(b3.members(0, 'K'))).toBeNull(); // tombstone: the key left the chain
    b3.apply();
    expect(chains.keysInChain(0)).toBe(0);
  });

  it('staged changes are invisible to the committed state until applied; a child stage sees its parent', () => {
    const chains = new KeyChains();
    const n = chains.stage();
    n.entered(2, 'K', 5, 0);
    const n1 = chains.stage(n);
    expect(n1.decide(2, 'K', 6, -1)).toEqual({ kind: 'follow', tier: 0 });
    expect(chains.keysInChain(2)).toBe(0); // N aborted → nothing to undo
    n.apply();
    expect(chains.keysInChain(2)).toBe(1);
  });

  it('round-trips the keys topic value', () => {
    const members = [
      { offset: 7, tier: 0 },
      { offset: 9, tier: 2 },
    ];
    expect(decodeMembers(encodeMembers(members))).toEqual(members);
    expect(decodeMembers(null)).toBeNull();
  });
});
