// The option-declaration kit: every option of the topology language is declared once as a Spec
// (type, default, description, example). From the declarations come the parser (with located,
// all-at-once errors), the defaults, docs/topology.md and the JSON Schema.
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { DiagnosticCode, Diagnostics, Loc } from '../diagnostics.ts';
import type { Path, SourceFile } from '../source.ts';

export interface ParseCtx {
  src: SourceFile;
  diag: Diagnostics;
  /** `${VAR}` references met while parsing, with where they are and which command resolves them. */
  envRefs: Array<{ name: string; hasFallback: boolean; path: Path; loc: Loc; neededBy: EnvPhase }>;
}

/**
 * The first command that resolves a `${VAR}`: `run` (e.g. an HTTP sink's URL and headers, used
 * only when delivering) or `deploy` (a value deploy applies; `run` resolves those too).
 */
export type EnvPhase = 'deploy' | 'run';

export type JsonSchema = Record<string, unknown>;

export function report(ctx: ParseCtx, node: Node | null | undefined, code: DiagnosticCode, message: string, hint?: string): undefined {
  ctx.diag.error(ctx.src.nodeLoc(node), code, message, hint);
  return undefined;
}

export function nodeKind(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'number') return `the number ${v}`;
    if (typeof v === 'boolean') return `the boolean ${v}`;
    return `the string ${JSON.stringify(v)}`;
  }
  return 'an alias';
}

export abstract class Spec<T> {
  description = '';
  exampleValue: unknown = undefined;
  defaultValue: T | undefined = undefined;
  required = true;
  /** Shown in docs where the default is computed rather than a constant. */
  defaultText: string | undefined = undefined;

  /** A short name for docs and error messages: "duration", "list of topic names". */
  abstract typeName(): string;
  /** Parses a present node; on failure records diagnostics and returns undefined. */
  abstract parse(node: Node | null, path: Path, ctx: ParseCtx): T | undefined;
  protected abstract schema(): JsonSchema;

  jsonSchema(): JsonSchema {
    const s: JsonSchema = { ...this.schema() };
    if (this.description) s.description = this.description;
    if (this.defaultValue !== undefined) s.default = this.defaultValue;
    if (this.exampleValue !== undefined) s.examples = [this.exampleValue];
    return s;
  }

  private clone(patch: Partial<Spec<T>>): this {
    return Object.assign(Object.create(Object.getPrototypeOf(this) as object) as this, this, patch);
  }

  describe(description: string): this {
    return this.clone({ description });
  }

  example(exampleValue: unknown): this {
    return this.clone({ exampleValue });
  }

  optional(): Spec<T | undefined> {
    return this.clone({ required: false }) as unknown as Spec<T | undefined>;
  }

  default(value: T, text?: string): Spec<T> {
    return this.clone({ required: false, defaultValue: value, defaultText: text });
  }

  /** For options whose default depends on other options (computed by the compiler). */
  computedDefault(text: string): Spec<T | undefined> {
    return this.clone({ required: false, defaultText: text }) as unknown as Spec<T | undefined>;
  }
}

export type Infer<S> = S extends Spec<infer T> ? T : never;
