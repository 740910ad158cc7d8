// Failures no retry can mend stop `weir run` with the broker's reason and a non-zero exit, instead
// of being retried forever: an input topic that does not exist (and, on the SCRAM listener, a topic
// the cluster denies — see secured.test.ts).
import { describe, expect, it } from 'vitest';
import { projectOnly } from '../helpers/pipeline.ts';
import { WorkerPool } from '../helpers/workers.ts';

const jsonCopy = (id: string) => `pipeline: f${id}
topics:
  in.${id}: { partitions: 1, value: json }
  out.${id}: { partitions: 1, value: json }
steps:
  copy-${id}:
    input: in.${id}
    map: "$"
    outputs: [out.${id}]
`;

const stderrOf = (logs: Array<Record<string, unknown>>) => logs.map((l) => l.stderr ?? '').join('');

describe('fatal failures stop weir run', () => {
  it('an input topic that does not exist: exit 1 within 30 s, naming the topic and the broker reason', async () => {
    const p = projectOnly(jsonCopy); // never deployed: no topic exists
    const pool = new WorkerPool(p);
    const w = pool.start('a');
    const code = await Promise.race([w.exited, new Promise((r) => setTimeout(() => r('still running after 30 s'), 30_000))]);
    expect(code).toBe(1);
    const stderr = stderrOf(w.logs);
    expect(stderr).toContain(`weir run: step copy-${p.id}: consume: Broker: Unknown topic or partition — subscribed to in.${p.id}`);
    expect(
      w.logs.some((l) => l.msg === 'worker stopped: this failure cannot be retried' && l.from === 'collecting' && l.to === 'stopped'),
    ).toBe(true);
  });
});
