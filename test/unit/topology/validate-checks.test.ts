// What `weir run` / `weir deploy` would fail on later is a validate error at the offending YAML node:
// transform paths out of the project, topic names Kafka cannot tell apart, bad HTTP sink URLs, zero
// durations, unknown topic configs, a directory as a topology file, nesting that would exhaust the
// stack, and a file named twice.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileTopology, type CompileOptions } from '../../../src/topology/compile/index.ts';
import { MAX_NESTING } from '../../../src/topology/nesting.ts';

const ROOT = fileURLToPath(new URL('../../fixtures/project/', import.meta.url));

const TOPICS = `pipeline: shop
topics:
  orders:
    partitions: 3
    value: schemas/Order.avsc
  enriched:
    partitions: 3
    value: schemas/Order.avsc
steps:
`;

/** `file:line:column message` of each diagnostic with the code. */
function found(text: string, code: string, opts: CompileOptions = {}): string[] {
  const result = compileTopology(['a.yaml'], { root: ROOT, texts: { 'a.yaml': text }, ...opts });
  return result.diagnostics.filter((d) => d.code === code).map((d) => `${d.file}:${d.line}:${d.column} ${d.message}`);
}

const transformStep = (ref: string) => `${TOPICS}  enrich:\n    input: orders\n    transform: ${ref}\n    outputs: [enriched]\n`;
const httpStep = (url: string) => `${TOPICS}  notify:\n    input: orders\n    sink:\n      http:\n        url: ${url}\n`;

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'weir-validate-'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "p", "private": true, "type": "module" }\n');
  mkdirSync(join(dir, 'transforms'));
  return dir;
}

describe('transform paths stay inside the project', () => {
  it('refuses a path that climbs out with ..', () => {
    expect(found(transformStep('../../../etc/passwd#x'), 'outside-project')).toEqual([
      `a.yaml:12:16 transform module ../../../etc/passwd leads outside the project root ${ROOT}`,
    ]);
  });

  it('refuses an absolute path', () => {
    expect(found(transformStep('/etc/passwd#x'), 'outside-project')).toEqual([
      'a.yaml:12:16 transform module /etc/passwd is an absolute path',
    ]);
  });

  it('follows a symlink placed in the project, wherever it points (part of the reviewed tree, like a linked shared folder)', () => {
    const dir = project();
    const outside = join(mkdtempSync(join(tmpdir(), 'weir-shared-')), 'shared.ts');
    writeFileSync(outside, 'export const x = () => null;\n');
    symlinkSync(outside, join(dir, 'transforms', 'link.ts'));
    const file = join(dir, 'a.yaml');
    const topics = 'pipeline: shop\ntopics:\n  in: { partitions: 1, value: json }\n  out: { partitions: 1, value: json }\nsteps:\n';
    writeFileSync(file, `${topics}  a:\n    input: in\n    transform: transforms/link.ts#x\n    outputs: [out]\n`);
    expect(compileTopology([file]).diagnostics).toEqual([]);
  });
});

describe('topic names that collide in Kafka metric names', () => {
  it('reports `a_b` next to `a.b`, pointing at both', () => {
    const text = 'pipeline: shop\ntopics:\n  a.b:\n    partitions: 1\n    value: json\n  a_b:\n    partitions: 1\n    value: json\n';
    const [d, ...rest] = found(text, 'topic-collision');
    expect(rest).toEqual([]);
    expect(d).toMatch(/^a\.yaml:6:3 topic `a_b` collides with topic `a\.b` \(a\.yaml:3:3\): Kafka's metric names turn '\.' into '_'/);
  });

  it('counts the topics a step derives (its DLQ)', () => {
    const text = `${TOPICS.replace('steps:\n', '')}  orders_enrich_dlq:\n    partitions: 3\n    value: json\nsteps:\n  enrich:\n    input: orders\n    transform: transforms/t.ts#enrich\n    outputs: [enriched]\n`;
    expect(found(text, 'topic-collision')).toEqual([
      expect.stringMatching(
        /^a\.yaml:13:3 `orders\.enrich\.dlq` \(dlq topic of step `enrich`\) collides with topic `orders_enrich_dlq` \(a\.yaml:9:3\)/,
      ),
    ]);
  });
});

describe('HTTP sink urls', () => {
  it('refuses a scheme other than http(s)', () => {
    expect(found(httpStep('htp://example.com/hook'), 'invalid-value')).toEqual([
      "a.yaml:14:14 the HTTP sink's url is not a valid http(s) URL: its scheme is htp: (not http: or https:)",
    ]);
  });

  it('refuses text that is no URL at all', () => {
    expect(found(httpStep('"http//example.com/hook"'), 'invalid-value')).toEqual([
      "a.yaml:14:14 the HTTP sink's url is not a valid http(s) URL: it does not parse as a URL",
    ]);
  });

  it('takes ${VAR} placeholders in any part, and a whole-URL variable it cannot know yet', () => {
    for (const url of ['${NOTIFY_URL}', '"https://${HOST}:${PORT:-8443}/hook?token=${TOKEN}"', '"${BASE:-http://localhost}/hook"'])
      expect(found(httpStep(url), 'invalid-value'), url).toEqual([]);
  });

  it("checks the environment's value when it has one, without printing it", () => {
    const [d, ...rest] = found(httpStep('${NOTIFY_URL}'), 'invalid-value', { env: { NOTIFY_URL: 'ftp://svc:s3cret@files.example' } });
    expect(rest).toEqual([]);
    expect(d).toBe(
      "a.yaml:14:14 the HTTP sink's url (with ${NOTIFY_URL} from the environment) is not a valid http(s) URL: its scheme is ftp: (not http: or https:)",
    );
  });

  it('checks a fallback, which is what run uses when the variable is unset', () => {
    expect(found(httpStep('"${NOTIFY_URL:-localhost:8080/hook}"'), 'invalid-value')).toEqual([
      "a.yaml:14:14 the HTTP sink's url is not a valid http(s) URL: its scheme is localhost: (not http: or https:)",
    ]);
  });
});

describe('durations that must be positive', () => {
  it('refuses a zero step timeout', () => {
    expect(found(`${transformStep('transforms/t.ts#enrich')}    timeout: 0s\n`, 'invalid-value')).toEqual([
      'a.yaml:14:14 expected a positive duration, got 0s',
    ]);
  });

  it('refuses a zero retry delay, at the item', () => {
    expect(found(`${transformStep('transforms/t.ts#enrich')}    retry: { delays: [0s, 5s] }\n`, 'invalid-value')).toEqual([
      'a.yaml:14:23 expected a positive duration, got 0s',
    ]);
  });

  it('refuses a zero HTTP timeout written as 0.0m', () => {
    expect(found(`${httpStep('https://example.com/hook')}        timeout: 0.0m\n`, 'invalid-value')).toEqual([
      'a.yaml:15:18 expected a positive duration, got 0.0m',
    ]);
  });

  it('takes a zero batch time: commit what one poll returns', () => {
    expect(found(`${transformStep('transforms/t.ts#enrich')}    batch: { time: 0ms }\n`, 'invalid-value')).toEqual([]);
  });
});

describe('topic configs', () => {
  const topic = (config: string) => `pipeline: shop\ntopics:\n  orders:\n    partitions: 3\n    value: json\n    config:\n${config}`;

  it('suggests the Kafka name for a misspelling', () => {
    expect(found(topic('      retention.msx: "1000"\n      cleanup.policy: compact\n'), 'unknown-key')).toEqual([
      'a.yaml:7:7 unknown topic config `retention.msx` — did you mean `retention.ms`?',
    ]);
  });

  it('points to the list for a name that is nothing like one', () => {
    const result = compileTopology(['a.yaml'], { root: ROOT, texts: { 'a.yaml': topic('      flurb: x\n') } });
    expect(result.diagnostics).toMatchObject([
      { line: 7, column: 7, code: 'unknown-key', message: 'unknown topic config `flurb`', hint: expect.stringContaining('topicconfigs') },
    ]);
  });

  it('takes every Kafka topic config name', () => {
    const names = ['min.insync.replicas', 'segment.bytes', 'compression.type', 'max.message.bytes', 'message.timestamp.type'];
    expect(found(topic(names.map((n) => `      ${n}: "1"\n`).join('')), 'unknown-key')).toEqual([]);
  });
});

describe('input files', () => {
  it('names a directory given as a topology file', () => {
    const dir = project();
    const result = compileTopology([dir]);
    expect(result.diagnostics).toMatchObject([
      { file: dir, line: 1, column: 1, code: 'no-files', message: `${dir} is a directory, not a topology file` },
    ]);
  });

  it('reads a file named twice once: no duplicate steps against itself', () => {
    const dir = project();
    const file = join(dir, 'a.yaml');
    writeFileSync(file, transformStep('transforms/t.ts#enrich'));
    symlinkSync(file, join(dir, 'same.yaml'));
    const result = compileTopology([file, file, `${dir}/./a.yaml`, join(dir, 'same.yaml')], { root: ROOT });
    expect(result.diagnostics).toEqual([]);
    expect(result.plan?.steps.map((s) => s.name)).toEqual(['enrich']);
  });
});

describe('nesting', () => {
  it('refuses YAML nested past the limit with a position, instead of overflowing the stack', () => {
    const deep = `pipeline: shop\ndescription: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    const result = compileTopology(['a.yaml'], { root: ROOT, texts: { 'a.yaml': deep } });
    // The root map is level 1, so the first list past the limit is the MAX_NESTING-th bracket.
    expect(result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`)).toEqual([
      `a.yaml:2:${13 + MAX_NESTING} yaml-syntax the YAML nests more than ${MAX_NESTING} levels deep here`,
    ]);
  });

  it('refuses deep block nesting too', () => {
    const deep = `pipeline: shop\ndescription:\n  ${'- '.repeat(3000)}x\n`;
    const result = compileTopology(['a.yaml'], { root: ROOT, texts: { 'a.yaml': deep } });
    expect(result.diagnostics).toMatchObject([{ line: 3, column: 3 + 2 * (MAX_NESTING - 1), code: 'yaml-syntax' }]);
  });
});
