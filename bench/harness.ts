// Shared by the Kafka benchmarks: a throwaway project with a compiled topology and its topics,
// input data, worker processes with their peak RSS, and waiting for a group to drain its input.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pushSchemas } from '../src/admin/schemas/push.ts';
import { loadConnectionSettings, type ConnectionSettings } from '../src/config/connection.ts';
import { KafkaAdmin } from '../src/kafka/admin.ts';
import { KafkaConsumer } from '../src/kafka/consumer.ts';
import { KafkaProducer } from '../src/kafka/producer.ts';
import type { OutboundRecord } from '../src/kafka/types.ts';
import { parseAvroSchema } from '../src/schema/avro.ts';
import { RegistryClient } from '../src/schema/registry.ts';
import { encodeAvro } from '../src/schema/serde.ts';
import { compileTopology } from '../src/topology/compile/index.ts';
import { formatDiagnostic } from '../src/topology/diagnostics.ts';
import type { Plan } from '../src/topology/plan.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const WEIR = fileURLToPath(new URL('../bin/weir.js', import.meta.url));

export const settings = (): ConnectionSettings => loadConnectionSettings();
export const kafka = () => ({ bootstrapServers: settings().KAFKA_BOOTSTRAP_SERVERS, clientId: 'weir-bench' });

export interface PipeTopology {
  pipeline: string;
  step: string;
  input: string;
  output: string;
  partitions: number;
  /** `transforms/<file>.ts#<export>` under bench/fixtures. */
  transform?: string;
  /** Extra step options, as YAML lines (`batch: {…}`, `retry: {…}`). */
  options?: string[];
}

/** One Event topic → transform → Event topic step: the shape every Kafka benchmark measures. */
export const pipeTopology = (t: PipeTopology) => `pipeline: ${t.pipeline}
topics:
  ${t.input}: { partitions: ${t.partitions}, value: schemas/Event.avsc }
  ${t.output}: { partitions: ${t.partitions}, value: schemas/Event.avsc }
steps:
  ${t.step}:
    input: ${t.input}
    transform: ${t.transform ?? 'transforms/identity.ts#identity'}
    outputs: [${t.output}]
${(t.options ?? []).map((o) => `    ${o}\n`).join('')}`;

export interface Project {
  root: string;
  file: string;
  plan: Plan;
}

export async function project(yaml: string): Promise<Project> {
  const root = mkdtempSync(join(tmpdir(), 'weir-bench-'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  for (const d of ['schemas', 'transforms']) symlinkSync(join(FIXTURES, d), join(root, d));
  const file = join(root, 'topology.yaml');
  writeFileSync(file, yaml);
  const { plan, diagnostics } = compileTopology([file], { root });
  if (!plan) throw new Error(diagnostics.map(formatDiagnostic).join('\n'));
  const admin = KafkaAdmin.create(kafka());
  try {
    await admin.createTopics(plan.topics.map((t) => ({ name: t.name, partitions: t.partitions, config: t.config })));
  } finally {
    admin.disconnect();
  }
  await pushSchemas(plan, root, new RegistryClient(settings().SCHEMA_REGISTRY_URL), { all: true }); // the bench is every topic's producer
  return { root, file, plan };
}

export const EVENT = parseAvroSchema(readFileSync(join(FIXTURES, 'schemas', 'Event.avsc'), 'utf8'), 'Event.avsc');

export async function eventEncoder(topic: string): Promise<(i: number) => OutboundRecord> {
  const found = await new RegistryClient(settings().SCHEMA_REGISTRY_URL).lookup(`${topic}-value`, EVENT.text);
  if (!found) throw new Error(`schema not registered for ${topic}`);
  return (i) => ({
    topic,
    key: `k${i % 1000}`,
    value: encodeAvro(EVENT.type, found.id, { id: `e${i}`, key: `k${i % 1000}`, seq: i, payload: 'x'.repeat(64) }, `${topic}-value`),
  });
}

/** Writes `count` Event records (e0 … e<count-1>) to `topic` as fast as the producer takes them: a backlog. */
export async function produceBacklog(topic: string, count: number): Promise<void> {
  const encode = await eventEncoder(topic);
  const producer = await KafkaProducer.connect(kafka(), { name: 'bench-producer', lingerMs: 20, extra: { partitioner: 'murmur2_random' } });
  for (let i = 0; i < count; i++) await producer.send(encode(i));
  await producer.flush(120_000);
  await producer.disconnect();
}

/** Produces `rate` records/s for `seconds` (calling `onSend(i)` just before each); returns the count. */
export async function producePaced(
  encode: (i: number) => OutboundRecord,
  rate: number,
  seconds: number,
  onSend: (i: number) => void = () => {},
): Promise<number> {
  const producer = await KafkaProducer.connect(kafka(), { name: 'bench-paced', lingerMs: 1, extra: { partitioner: 'murmur2_random' } });
  const total = Math.round(rate * seconds);
  const started = Date.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i / rate) * 1000;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const record = encode(i);
    onSend(i);
    await producer.send(record);
  }
  await producer.flush();
  await producer.disconnect();
  return total;
}

export interface Proc {
  child: ChildProcess;
  assigned: Promise<void>;
  /** Peak resident set size (VmHWM) so far, in MiB. */
  peakRssMiB(): number;
  stop(): Promise<void>;
}

/** Starts a worker (`command`: Node by default, or e.g. `java`) that prints `"assigned"` once it has partitions. */
export function spawnProc(args: string[], env: Record<string, string> = {}, command: string = process.execPath): Proc {
  const s = settings();
  const child = spawn(command, args, {
    env: { ...process.env, ...s, WEIR_LOG_LEVEL: 'info', WEIR_METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const assigned = new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('"assigned"')) resolve();
      if (buf.length > 100_000) buf = buf.slice(-1000);
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before it was assigned partitions`)));
  });
  return {
    child,
    assigned,
    peakRssMiB() {
      // Summed over the process and its children (a step with threads runs one process per thread).
      return processTree(child.pid).reduce((sum, pid) => {
        const status = `/proc/${pid}/status`;
        const m = existsSync(status) ? /VmHWM:\s+(\d+) kB/.exec(readFileSync(status, 'utf8')) : null;
        return sum + (m ? Number(m[1]) / 1024 : 0);
      }, 0);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The Node options in a bin script's shebang (`#!/usr/bin/env -S node <options>`): for runs that start Node themselves. */
export function shebangOptions(bin: string): string[] {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0]!;
  const m = /^#!\S*env\s+-S\s+node\s+(.*)$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/) : [];
}

/** `weir run` started as users start it: the bin script with its shebang's Node options. */
export const weirRun = (p: Project, extra: string[] = [], env: Record<string, string> = {}, bin = WEIR) =>
  spawnProc(['run', p.file, '--instance-id', 'bench', ...extra], env, bin);

/** The process and its descendants (Linux /proc). */
export function processTree(root: number | undefined): number[] {
  if (root === undefined) return [];
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const tree: number[] = [];
  const walk = (pid: number) => {
    tree.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return tree;
}

/**
 * CPU time (user + system) a process and its children have used so far, in ms (Linux /proc; clock
 * ticks of 10 ms). NaN once the process is gone.
 */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return NaN;
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

export interface DrainRun {
  /** Records/s from the worker's assignment until `group` committed the input's end. */
  rate: number;
  /** CPU ms per 1k records over the same span, and over the process's whole life up to drained. */
  cpuPer1k: number;
  cpuPer1kTotal: number;
  /** Spawn → assigned, ms. */
  startMs: number;
  rssMiB: number;
}

/** Starts a worker, waits until `group` has drained `n` records of `input`, and stops it. */
export async function measureDrain(start: () => Proc, group: string, input: string, n: number): Promise<DrainRun> {
  const spawned = Date.now();
  const proc = start();
  try {
    await proc.assigned;
    const t0 = Date.now();
    const c0 = cpuMs(proc.child.pid);
    const t1 = await drained(group, input);
    const c1 = cpuMs(proc.child.pid);
    return {
      rate: n / ((t1 - t0) / 1000),
      cpuPer1k: (c1 - c0) / (n / 1000),
      cpuPer1kTotal: c1 / (n / 1000),
      startMs: t0 - spawned,
      rssMiB: proc.peakRssMiB(),
    };
  } finally {
    await proc.stop();
  }
}

/** Resolves when `group` has committed the end of every partition of `topic`; returns the time. */
export async function drained(group: string, topic: string, timeoutMs = 600_000): Promise<number> {
  const admin = KafkaAdmin.create(kafka());
  try {
    const partitions = await admin.partitionsOf([topic]);
    const ends = await admin.offsets(partitions, 'latest');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const committed = await admin.groupOffsets(group, partitions);
      if (ends.every((e) => (committed.find((c) => c.partition === e.partition)?.offset ?? -1) >= e.offset)) return Date.now();
      if (Date.now() > deadline) throw new Error(`${group} did not drain ${topic} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    admin.disconnect();
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Reads `topic` from the start (`read_committed`) until `count` Event values arrived or `timeoutMs` passed. */
export async function readEvents(
  topic: string,
  partitions: number,
  count: number,
  timeoutMs: number,
): Promise<Array<{ id: string; payload: string }>> {
  const consumer = await KafkaConsumer.connect(kafka(), {
    name: 'bench-reader',
    groupId: `bench-reader-${Date.now()}`,
    isolation: 'read_committed',
  });
  consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: -2 })));
  const out: Array<{ id: string; payload: string }> = [];
  const deadline = Date.now() + timeoutMs;
  try {
    while (out.length < count && Date.now() < deadline) {
      for (const r of await consumer.consume(5_000, 100))
        out.push(EVENT.type.fromBuffer(r.value!.subarray(5)) as { id: string; payload: string });
    }
  } finally {
    await consumer.disconnect();
  }
  return out;
}
