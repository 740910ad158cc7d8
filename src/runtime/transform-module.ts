// Importing a team's transform module: the one way `weir run` loads it, which `weir validate` uses
// too so that a module that would not load at run (syntax error, failing import, a throw at load, an
// export that is not a function) fails validation instead.
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import type { Transform } from './api.ts';

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

/** The module failed to load, or its export is not a function; the message says which. */
export class TransformLoadError extends Error {
  override name = 'TransformLoadError';
}

/** Imports `<root>/<module>` and returns its function export `name`; throws TransformLoadError. */
export async function importTransform(root: string, module: string, name: string): Promise<Transform> {
  let mod: Record<string, unknown>;
  try {
    // The real path: relative imports inside the module resolve from where the file really is.
    const file = realpathSync(join(root, module));
    await typeScriptLoaderFor(file);
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    // A module may throw anything at load, not only Errors.
    const e = err instanceof Error ? err : new Error(String(err));
    throw new TransformLoadError(`${module} does not load: ${loadFailure(e, root)}`, { cause: err });
  }
  // A CommonJS module's exports object is its namespace's default.
  const cjs = typeof mod.default === 'object' && mod.default !== null ? (mod.default as Record<string, unknown>) : {};
  const fn = typeof mod[name] === 'function' ? mod[name] : cjs[name];
  if (typeof fn === 'function') return fn as Transform;
  const found = mod[name] ?? cjs[name];
  if (found === undefined) throw new TransformLoadError(`${module} has no export ${name}`);
  const kind = found === null ? 'null' : typeof found === 'object' ? 'an object' : `a ${typeof found}`;
  throw new TransformLoadError(`${module}: export ${name} is ${kind}, not a function`);
}

const BUILT_IN = new Set(['SyntaxError', 'ReferenceError', 'TypeError', 'RangeError']);

/**
 * One line saying why: tsx (esbuild) reports "Transform failed with 1 error:" and then each error
 * as `<absolute path>:<line>:<column>: ERROR: …`; paths are shown relative to the project root. A
 * plain SyntaxError from Node has no position, its class at least says what kind of failure it is.
 * (Under vitest the message is a multi-line code frame; it is kept, on one line.)
 */
function loadFailure(e: Error, root: string): string {
  // Colours too: a loader may format for a terminal, and the message also goes into --json.
  let text = stripVTControlCharacters(e.message).replace(/^Transform failed with \d+ errors?:\n/, '');
  for (const dir of new Set([root, realpathSync(root)])) text = text.split(`${dir}/`).join('');
  text = text.split('\n').filter(Boolean).join('; ');
  return BUILT_IN.has(e.name) ? `${e.name}: ${text}` : text;
}
