// A step's retry tiers, DLQ and outputs accept what its input accepts: the input's
// max.message.bytes is derived onto them, unless the topology sets an output's own.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileTopology } from '../../../src/topology/compile/index.ts';

function plan(yaml: string) {
  const root = mkdtempSync(join(tmpdir(), 'weir-size-'));
  const file = join(root, 'pipeline.yaml');
  writeFileSync(file, yaml);
  const result = compileTopology([file], { root });
  expect(result.diagnostics).toEqual([]);
  return new Map(result.plan!.topics.map((t) => [t.name, t.config['max.message.bytes']]));
}

const topology = (outConfig: string) => `pipeline: sized
topics:
  in: { partitions: 2, value: json, config: { max.message.bytes: "3145728" } }
  out: { partitions: 2, value: json${outConfig} }
  other: { partitions: 2, value: json }
steps:
  copy:
    input: in
    map: "$"
    outputs: [out]
    retry: { delays: [1s, 5s] }
`;

describe('max.message.bytes of the topics a step writes', () => {
  it("the input's limit goes to its tiers, its DLQ and an output that sets none", () => {
    const limits = plan(topology(''));
    expect(limits.get('in.copy.retry.1s')).toBe('3145728');
    expect(limits.get('in.copy.retry.5s')).toBe('3145728');
    expect(limits.get('in.copy.dlq')).toBe('3145728');
    expect(limits.get('out')).toBe('3145728');
    expect(limits.get('other')).toBeUndefined(); // not written by the step
  });

  it("an output's own limit is the topology's decision and stays", () => {
    expect(plan(topology(', config: { max.message.bytes: "1048588" }')).get('out')).toBe('1048588');
  });
});
