// `weir run` on the real broker and registry, the registry reached through a TCP proxy that is cut
// while the step runs: first refusing connections, then accepting them and never answering. A
// producer registered a compatible version 2 of the input's schema before the cut and writes with
// it during the cut, so the worker meets a schema id it has never fetched. The records must wait —
// the partition reported stalled, the registry named in the log — and flow once the proxy heals:
// nothing in the DLQ or the retry tiers, every record in the output exactly once.
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboundRecord } from '../../src/kafka/types.ts';
import { avroType } from '../../src/schema/avro.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import { frame } from '../../src/schema/serde.ts';
import { CLEAN, decodeEvents, EVENT_SCHEMA, eventRecords, makeEvents, verifyOutput, type Event } from '../helpers/events.ts';
import { produceAll, readAll, waitForGroupCaughtUp } from '../helpers/kafka.ts';
import { createPipeline, transformTopology } from '../helpers/pipeline.ts';
import { services } from '../helpers/services.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { waitFor } from '../helpers/wait.ts';
import { WorkerPool } from '../helpers/workers.ts';

const UNREACHABLE = 'schema registry unreachable; retrying the batch';
const DEAD_LETTERED = 'record dead-lettered';
const STALLED = 'partition stalled: it has records to process and its committed offset has not moved';

let proxy: TcpProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

describe('schema registry outage while weir run runs', () => {
  it('records with a schema id first seen during the outage wait, then flow exactly once; nothing is dead-lettered', async () => {
    const p = await createPipeline(transformTopology({ partitions: 2 }));
    const step = p.plan.steps[0]!;
    const input = p.topic('in');
    const direct = new RegistryClient(services().SCHEMA_REGISTRY_URL);

    // Version 2 of the input's schema (one more field, with a default), registered before the cut.
    const v1Schema = EVENT_SCHEMA.json as { fields: object[] };
    const v2Schema = { ...v1Schema, fields: [...v1Schema.fields, { name: 'note', type: 'string', default: '' }] };
    const v2Text = JSON.stringify(v2Schema);
    const v2Id = await direct.register(`${input}-value`, v2Text);
    const v1Id = (await direct.lookup(`${input}-value`, EVENT_SCHEMA.text))!.id;
    expect(v2Id).not.toBe(v1Id);
    const v2Type = avroType(v2Schema);
    const v2Records = (list: Event[]): OutboundRecord[] =>
      list.map((e) => ({ topic: input, key: e.key, value: frame(v2Id, v2Type.toBuffer({ ...e, note: 'v2' })) }));

    proxy = await TcpProxy.forUrl(services().SCHEMA_REGISTRY_URL);
    const pool = new WorkerPool(p, {
      env: { SCHEMA_REGISTRY_URL: proxy.url(services().SCHEMA_REGISTRY_URL), WEIR_CONNECT_TIMEOUT: '3s' },
      args: ['--stall-after', '4s'],
    });
    const deadLettered = () => pool.logged(DEAD_LETTERED).length > 0;
    // One run of events (per-key sequence numbers across all three parts): written before, during the refusal, during the silence.
    const events = makeEvents(600, 20);
    const [before, duringRefused, duringSilent] = [events.slice(0, 200), events.slice(200, 400), events.slice(400)];
    try {
      pool.start('a');
      await produceAll(await eventRecords(input, before));
      await waitForGroupCaughtUp(step.group, input);

      // Cut 1: connection refused.
      await proxy.cut('refuse');
      await produceAll(v2Records(duringRefused));
      await waitFor(() => deadLettered() || pool.logged(UNREACHABLE).length >= 2, {
        timeoutMs: 60_000,
        what: 'two redos logged while refused',
      });
      expect(pool.logged(DEAD_LETTERED)).toEqual([]);
      const refused = pool.logged(UNREACHABLE);
      expect(String(refused[0]!.reason)).toMatch(
        /^schema registry unreachable: GET http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7\/schemas\/ids\/\d+ \(SCHEMA_REGISTRY_URL\): fetch failed \(connect ECONNREFUSED/,
      );
      expect(pool.alive('a')).toBe(true);
      expect(await readAll(step.retry.dlq)).toEqual([]);

      // Cut 2: the registry accepts and never answers.
      await proxy.cut('blackhole');
      const mark = pool.logged(UNREACHABLE).length;
      await produceAll(v2Records(duringSilent));
      await waitFor(() => deadLettered() || pool.logged(UNREACHABLE).length >= mark + 2, {
        timeoutMs: 90_000,
        what: 'two redos logged while silent',
      });
      expect(pool.logged(DEAD_LETTERED)).toEqual([]);
      expect(
        pool
          .logged(UNREACHABLE)
          .slice(mark)
          .some((l) => /timeout|aborted/i.test(String(l.reason))),
      ).toBe(true);
      expect(proxy.connections).toBeGreaterThan(0);
      // The partitions with records waiting are reported stalled (--stall-after 4s), naming the registry.
      await waitFor(() => pool.logged(STALLED).length >= 1, { timeoutMs: 90_000, what: 'a partition reported stalled' });
      expect(String(pool.logged(STALLED)[0]!.lastError)).toMatch(/^schema registry unreachable: /);
      expect(pool.alive('a')).toBe(true);
      expect(await readAll(step.retry.dlq)).toEqual([]);

      await proxy.heal();
      await waitForGroupCaughtUp(step.group, input, 120_000);
      const out = await decodeEvents(await readAll(p.topic('out')));
      expect(verifyOutput(out, events)).toEqual(CLEAN);
      expect(out).toHaveLength(600);
      expect(await readAll(step.retry.dlq)).toEqual([]);
      expect(await readAll(step.retry.tiers.map((t) => t.topic))).toEqual([]);
      await waitFor(() => pool.logged('partition moves again').length >= 1, { timeoutMs: 30_000, what: 'the stall reported over' });
      expect(await pool.stopAll()).toEqual([0]);
    } catch (err) {
      process.stderr.write(`${pool.dump(60)}\n`);
      throw err;
    }
  }, 300_000);
});
