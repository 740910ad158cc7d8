// Consumer group coordination, simplified to what the worker's manual rebalancing must survive:
// cooperative moves (the old owner gives a partition up before the new one gets it), members
// joining and leaving, static members taking over, and offsets committed per group.
import type { RebalanceEvent } from '../../kafka/consumer.ts';
import { tpKey, type TopicPartition, type TopicPartitionOffset } from '../../kafka/types.ts';
import { byTopicPartition, type Topics } from './topics.ts';

export interface GroupMember {
  readonly subscription: readonly string[];
  readonly groupInstanceId: string | undefined;
  queueEvent(event: RebalanceEvent): void;
  /** A newer member joined with this member's static instance id. */
  fenceInstance(): void;
}

interface Owned {
  tp: TopicPartition;
  member: GroupMember;
}

/** Groups partitions per member and queues one event each (partitions sorted, for stable tests). */
function queue(kind: RebalanceEvent['kind'], owned: Owned[], lost = false): void {
  const perMember = new Map<GroupMember, TopicPartition[]>();
  for (const o of owned) perMember.set(o.member, [...(perMember.get(o.member) ?? []), o.tp]);
  for (const [member, partitions] of perMember) member.queueEvent({ kind, partitions: partitions.sort(byTopicPartition), lost });
}

export class Group {
  /** In join order: the order decides the round-robin spread. */
  private readonly members: GroupMember[] = [];
  /** Who holds each partition: from its assign event until it completes the revoke. */
  private readonly owners = new Map<string, Owned>();
  private readonly revoking = new Set<string>();
  /** Revoked through the test helper: nobody gets them until reassign(). */
  private readonly held = new Set<string>();
  private readonly offsets = new Map<string, number>();

  constructor(
    readonly id: string,
    private readonly topics: Topics,
  ) {}

  isMember(member: GroupMember): boolean {
    return this.members.includes(member);
  }

  committed(tp: TopicPartition): number | undefined {
    return this.offsets.get(tpKey(tp));
  }

  commit(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) this.offsets.set(tpKey(o), o.offset);
  }

  join(member: GroupMember): void {
    if (!this.members.includes(member)) {
      const id = member.groupInstanceId;
      const same = id === undefined ? -1 : this.members.findIndex((m) => m.groupInstanceId === id);
      if (same >= 0) this.takeOver(same, member);
      else this.members.push(member);
    }
    this.rebalance();
  }

  /** Static membership: the newcomer inherits the old member's partitions without a revoke anywhere. */
  private takeOver(index: number, member: GroupMember): void {
    const old = this.members[index]!;
    this.members[index] = member;
    const inherited: Owned[] = [];
    for (const [key, o] of this.owners) {
      if (o.member !== old) continue;
      // One it was giving up is free now (the old member will never complete that revoke).
      if (this.revoking.delete(key)) this.owners.delete(key);
      else {
        o.member = member;
        inherited.push(o);
      }
    }
    old.fenceInstance();
    queue('assign', inherited);
  }

  leave(member: GroupMember): void {
    const index = this.members.indexOf(member);
    if (index < 0) return;
    this.members.splice(index, 1);
    for (const [key, o] of this.owners) {
      if (o.member !== member) continue;
      this.owners.delete(key);
      this.revoking.delete(key);
    }
    this.rebalance();
  }

  /** The member completed a revoke: those partitions may go to their next owner. */
  released(member: GroupMember, partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const key = tpKey(tp);
      if (this.owners.get(key)?.member !== member) continue;
      this.owners.delete(key);
      this.revoking.delete(key);
    }
    this.rebalance();
  }

  /** Test helper: revoke partitions from whoever owns them; they stay unowned until reassign(). */
  revoke(partitions: readonly TopicPartition[], lost: boolean): void {
    const revoked: Owned[] = [];
    for (const tp of partitions) {
      const key = tpKey(tp);
      const owned = this.owners.get(key);
      if (!owned) continue;
      this.held.add(key);
      if (this.revoking.has(key)) continue;
      this.revoking.add(key);
      revoked.push(owned);
    }
    queue('revoke', revoked, lost);
  }

  reassign(): void {
    this.held.clear();
    this.rebalance();
  }

  /** Moves every subscribed partition toward its target owner, cooperatively. */
  rebalance(): void {
    const targets = this.targets();
    const revokes: Owned[] = [];
    const assigns: Owned[] = [];
    for (const [key, owned] of this.owners) {
      if (this.revoking.has(key) || targets.get(key)?.member === owned.member) continue;
      this.revoking.add(key);
      revokes.push(owned);
    }
    for (const [key, target] of targets) {
      if (this.owners.has(key) || this.held.has(key)) continue;
      this.owners.set(key, target);
      assigns.push(target);
    }
    queue('revoke', revokes);
    queue('assign', assigns);
  }

  /** Partition p of a topic goes to its subscribers[p % count], subscribers in join order. */
  private targets(): Map<string, Owned> {
    const out = new Map<string, Owned>();
    for (const topic of this.topics.names().sort()) {
      const subscribers = this.members.filter((m) => m.subscription.includes(topic));
      if (subscribers.length === 0) continue;
      const count = this.topics.partitionsOf(topic);
      for (let partition = 0; partition < count; partition++) {
        const tp = { topic, partition };
        out.set(tpKey(tp), { tp, member: subscribers[partition % subscribers.length]! });
      }
    }
    return out;
  }
}
