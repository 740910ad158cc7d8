// What a step does to one record: the user's transform module, or a built-in JSONata filter, map
// or route. All present the same shape to the worker, so they run with the same guarantees.
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import jsonata from 'jsonata';
import type { PlannedStep } from '../topology/plan.ts';
import { NonRetryableError, type OutputRecord, type Transform, type TransformContext, type TransformRecord } from './api.ts';

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

let typeScriptLoader: Promise<void> | undefined;

/**
 * Node cannot import a team's transform written in TypeScript on its own: register tsx's loader
 * first, once per process, unless one already runs — this file is TypeScript itself when weir runs
 * from its sources (bin/weir.js in a checkout, vitest), JavaScript when installed (dist/). Both of
 * tsx's hooks, as the tsx command does: the ESM one for `import()`, the CommonJS one for a transform
 * in a `"type": "commonjs"` project (Node hands such a file to its CommonJS loader).
 */
function typeScriptLoaderFor(file: string): Promise<void> | undefined {
  if (!/\.[cm]?ts$/.test(file) || /\.[cm]?ts$/.test(new URL(import.meta.url).pathname)) return undefined;
  typeScriptLoader ??= Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]).then(([esm, cjs]) => {
    esm.register();
    cjs.register();
  });
  return typeScriptLoader;
}

async function moduleProcessor(step: PlannedStep, root: string): Promise<Processor> {
  const { module, export: name } = step.transform!;
  // The real path: relative imports inside the module resolve from where the file really is.
  const file = realpathSync(join(root, module));
  await typeScriptLoaderFor(file);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  // A CommonJS module's exports object is its namespace's default.
  const cjs = typeof mod.default === 'object' && mod.default !== null ? (mod.default as Record<string, unknown>) : {};
  const fn = typeof mod[name] === 'function' ? mod[name] : cjs[name];
  if (typeof fn !== 'function') throw new Error(`step ${step.name}: ${module} has no function export ${name}`);
  const transform = fn as Transform;
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
