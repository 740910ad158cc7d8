// Ordered retries (`retry.preserveKeyOrder`): while a key has a record in the retry chain, its later
// records follow it instead of overtaking it. Per input partition index, the state is the ordered
// list of the key's records in the chain (by original offset) and the tier each waits in; the
// oldest is the head and the only one processed. Followers park behind the head in its tier and
// move with it. Changes are staged per batch, written to the compacted `<input>.<step>.retry.keys`
// topic in the batch's transaction, and applied in memory only when that transaction commits.

/** A record of a key in the chain: its original input offset and the tier it waits in. */
export interface Member {
  offset: number;
  tier: number;
}

export type Decision = { kind: 'process' } | { kind: 'follow'; tier: number };

type Chains = Map<number, Map<string, Member[]>>;

export class KeyChains {
  readonly base: Chains = new Map();

  load(partition: number, key: string, members: Member[] | null): void {
    let p = this.base.get(partition);
    if (!p) this.base.set(partition, (p = new Map()));
    if (members && members.length) p.set(key, members);
    else p.delete(key);
  }

  forget(partition: number): void {
    this.base.delete(partition);
  }

  keysInChain(partition: number): number {
    return this.base.get(partition)?.size ?? 0;
  }

  stage(parent?: Staging): Staging {
    return new Staging(this, parent);
  }
}

export class Staging {
  /** partition → key → members after this batch (empty array: the key left the chain). */
  readonly changes: Chains = new Map();

  constructor(
    private readonly chains: KeyChains,
    private readonly parent?: Staging,
  ) {}

  members(partition: number, key: string): Member[] {
    const own = this.changes.get(partition)?.get(key);
    if (own) return own;
    if (this.parent) return this.parent.members(partition, key);
    return this.chains.base.get(partition)?.get(key) ?? [];
  }

  private set(partition: number, key: string, members: Member[]): void {
    let p = this.changes.get(partition);
    if (!p) this.changes.set(partition, (p = new Map()));
    p.set(key, members);
  }

  /**
   * What to do with a record before processing it. `tier` is -1 for the input topic, else the
   * tier index it was read from.
   */
  decide(partition: number, key: string, offset: number, tier: number): Decision {
    const members = this.members(partition, key);
    if (members.length === 0) return { kind: 'process' };
    if (tier < 0) {
      // A new record of a key in the chain: it follows, parked behind the head.
      const head = members[0]!;
      this.set(partition, key, [...members, { offset, tier: head.tier }]);
      return { kind: 'follow', tier: head.tier };
    }
    const me = members.findIndex((m) => m.offset === offset);
    if (me <= 0) return { kind: 'process' }; // the head (or a record the state does not know: let it through)
    const headTier = members[0]!.tier;
    const moved = members.map((m, i) => (i === me ? { offset, tier: headTier } : m));
    this.set(partition, key, moved);
    return { kind: 'follow', tier: headTier };
  }

  /** The record left the chain: processed, or sent to the DLQ. */
  left(partition: number, key: string, offset: number): void {
    const members = this.members(partition, key);
    if (!members.some((m) => m.offset === offset)) return;
    this.set(
      partition,
      key,
      members.filter((m) => m.offset !== offset),
    );
  }

  /** The record (head or a first failure) now waits in `tier`. */
  entered(partition: number, key: string, offset: number, tier: number): void {
    const members = this.members(partition, key);
    const i = members.findIndex((m) => m.offset === offset);
    if (i < 0)
      this.set(
        partition,
        key,
        [{ offset, tier }, ...members].sort((a, b) => a.offset - b.offset),
      );
    else
      this.set(
        partition,
        key,
        members.map((m, j) => (j === i ? { offset, tier } : m)),
      );
  }

  /** Folds this batch's changes into the committed state (after its transaction committed). */
  apply(): void {
    for (const [partition, keys] of this.changes) for (const [key, members] of keys) this.chains.load(partition, key, members);
  }
}

/** The keys topic value: `{"m":[[offset,tier],…]}`; null (a tombstone) when the key left the chain. */
export function encodeMembers(members: Member[]): Buffer | null {
  return members.length ? Buffer.from(JSON.stringify({ m: members.map((m) => [m.offset, m.tier]) })) : null;
}

export function decodeMembers(value: Buffer | null): Member[] | null {
  if (value === null) return null;
  const parsed = JSON.parse(value.toString('utf8')) as { m: Array<[number, number]> };
  return parsed.m.map(([offset, tier]) => ({ offset, tier }));
}
