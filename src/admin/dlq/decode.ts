// DLQ values shown as they were written: Avro decoded with the writer's schema (its id in the
// record), else text when it is printable, else base64 — and an undecodable Avro record says so.
import type { RegistryClient } from '../../schema/registry.ts';
import { AvroSerde } from '../../schema/serde.ts';
import { findTopic, type Plan, type PlannedStep } from '../../topology/plan.ts';
import type { DlqEntry } from './entries.ts';

/** A decoded value as JSON can show it: bytes as base64, longs as text. */
export function printable(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(printable);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, printable(x)]));
  return v;
}

/** The bytes as text when they are printable, else as base64. */
export const rawValue = (b: Buffer | null): unknown =>
  b === null ? null : /^[\x09\x0a\x0d\x20-\x7e]*$/.test(b.toString('latin1')) ? b.toString('utf8') : { base64: b.toString('base64') };

export async function dlqDecoder(
  plan: Plan,
  step: PlannedStep,
  entries: DlqEntry[],
  registry: RegistryClient,
): Promise<(e: DlqEntry) => unknown> {
  const topic = findTopic(plan, step.input);
  if (topic?.value.format !== 'avro') return (e) => rawValue(e.record.value);
  const serde = new AvroSerde(registry);
  await serde.prepare(entries.map((e) => e.record.value));
  return (e) => {
    try {
      return printable(serde.decode(e.record.value));
    } catch {
      return { undecodable: rawValue(e.record.value) };
    }
  };
}
