// State shared by the cluster façade and the clients it hands out.
import type { Clock } from '../../runtime/clock.ts';
import { Faults } from './faults.ts';
import { Group } from './group.ts';
import { Topics, type RoutedRecord } from './topics.ts';

export interface MemoryStats {
  committedTransactions: number;
  /** Aborted explicitly, or dropped when their producer was fenced or disconnected. */
  abortedTransactions: number;
  /** Records sent inside aborted transactions, in send order (never visible to readers). */
  abortedRecords: RoutedRecord[];
}

export interface Fenceable {
  fence(): void;
}

export class Broker {
  readonly topics: Topics;
  readonly faults = new Faults();
  readonly stats: MemoryStats = { committedTransactions: 0, abortedTransactions: 0, abortedRecords: [] };
  /** The current producer of each transactional id: initTransactions of a newer one fences it. */
  readonly transactionalIds = new Map<string, Fenceable>();
  private readonly groups = new Map<string, Group>();

  constructor(readonly clock: Clock) {
    this.topics = new Topics(clock);
  }

  group(id: string): Group {
    let group = this.groups.get(id);
    if (!group) this.groups.set(id, (group = new Group(id, this.topics)));
    return group;
  }

  findGroup(id: string): Group | undefined {
    return this.groups.get(id);
  }

  createTopic(name: string, partitions: number): void {
    // Subscribers of a topic created late get its partitions, as after a metadata refresh.
    if (this.topics.create(name, partitions)) for (const group of this.groups.values()) group.rebalance();
  }
}
