// What a step does to one record: the user's transform module, or a built-in JSONata filter, map
// or route. All present the same shape to the worker, so they run with the same guarantees.
import jsonata from 'jsonata';
import type { PlannedStep } from '../topology/plan.ts';
import { NonRetryableError, type OutputRecord, type Transform, type TransformContext, type TransformRecord } from './api.ts';
import { importTransform, TransformLoadError } from './transform-module.ts';

/** Synchronous when the transform is: no promise, no timer for the common case of plain functions. */
export type Processor = (record: TransformRecord, ctx: TransformContext) => Promise<OutputRecord[]> | OutputRecord[];

/** A transform broke the API contract (unknown output topic, not an object…): retrying cannot help. */
export class TransformContractError extends NonRetryableError {
  override name = 'TransformContractError';
}

/** JSONata returns objects without a prototype and arrays with a `sequence` flag; give plain JSON. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function checked(step: PlannedStep, o: unknown): OutputRecord {
  if (!o || typeof o !== 'object' || !('value' in o)) {
    throw new TransformContractError(
      `step ${step.name}: a transform returns { value, topic?, key?, headers? } objects (or an array of them, or null)`,
    );
  }
  const out = o as OutputRecord;
  if (out.topic !== undefined && !step.outputs.includes(out.topic)) {
    throw new TransformContractError(
      `step ${step.name}: output topic ${out.topic} is not one of the declared outputs (${step.outputs.join(', ')})`,
    );
  }
  return out;
}

function normalize(step: PlannedStep, result: unknown): OutputRecord[] {
  if (result === null || result === undefined) return [];
  if (!Array.isArray(result)) return [checked(step, result)];
  for (const o of result) checked(step, o);
  return result as OutputRecord[];
}

async function moduleProcessor(step: PlannedStep, root: string): Promise<Processor> {
  const { module, export: name } = step.transform!;
  let transform: Transform;
  try {
    transform = await importTransform(root, module, name);
  } catch (err) {
    if (err instanceof TransformLoadError) err.message = `step ${step.name}: ${err.message}`;
    throw err;
  }
  return (record, ctx) => {
    const result = transform(record, ctx);
    return result instanceof Promise ? result.then((r) => normalize(step, r)) : normalize(step, result);
  };
}

export async function loadProcessor(step: PlannedStep, root: string): Promise<Processor> {
  const toAll = (value: unknown): OutputRecord[] => step.outputs.map((topic) => ({ topic, value }));
  switch (step.kind) {
    case 'transform':
      return moduleProcessor(step, root);
    case 'filter': {
      const expr = jsonata(step.filter!);
      return async (record) => ((await expr.evaluate(record.value)) ? toAll(record.value) : []);
    }
    case 'map': {
      const spec = step.map!;
      if (typeof spec === 'string') {
        const expr = jsonata(spec);
        return async (record) => toAll(plain(await expr.evaluate(record.value)));
      }
      const fields = Object.entries(spec).map(([field, e]) => [field, jsonata(e)] as const);
      return async (record) => {
        const value: Record<string, unknown> = {};
        for (const [field, expr] of fields) value[field] = plain(await expr.evaluate(record.value));
        return toAll(value);
      };
    }
    case 'route': {
      const route = step.route!;
      const by = jsonata(route.by);
      return async (record) => {
        const v = await by.evaluate(record.value);
        const topic = (v === undefined || v === null ? undefined : route.cases[String(v)]) ?? route.default ?? undefined;
        return topic ? [{ topic, value: record.value }] : [];
      };
    }
    default:
      throw new Error(`step ${step.name} is a ${step.kind} sink: its processor comes with the sink`);
  }
}
