// Lists, maps with user-chosen keys, objects with declared keys, and alternatives by node shape.
import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import { didYouMean } from '../diagnostics.ts';
import type { Path } from '../source.ts';
import { nodeKind, report, Spec, type Infer, type JsonSchema, type ParseCtx } from './core.ts';

export class ListSpec<T> extends Spec<T[]> {
  constructor(
    readonly item: Spec<T>,
    private readonly minItems = 0,
  ) {
    super();
  }
  typeName() {
    return `list of ${this.item.typeName()}`;
  }
  parse(node: Node | null, path: Path, ctx: ParseCtx) {
    if (!node || !isSeq(node)) return report(ctx, node, 'wrong-type', `expected a list, got ${nodeKind(node)}`);
    if (node.items.length < this.minItems) return report(ctx, node, 'invalid-value', `expected at least ${this.minItems} item(s)`);
    const out: T[] = [];
    let ok = true;
    node.items.forEach((child, i) => {
      const itemNode = child as Node;
      ctx.src.record([...path, i], ctx.src.nodeLoc(itemNode));
      const v = this.item.parse(itemNode, [...path, i], ctx);
      if (v === undefined) ok = false;
      else out.push(v);
    });
    return ok ? out : undefined;
  }
  protected schema(): JsonSchema {
    return { type: 'array', items: this.item.jsonSchema(), ...(this.minItems ? { minItems: this.minItems } : {}) };
  }
}

function pairKey(pair: Pair): string | undefined {
  const k = pair.key as Node | null;
  if (k && isScalar(k) && (typeof k.value === 'string' || typeof k.value === 'number')) return String(k.value);
  return undefined;
}

/** Visits the pairs of a map, recording key and value locations; reports non-scalar keys. */
function eachPair(node: Node, path: Path, ctx: ParseCtx, visit: (key: string, value: Node | null, keyNode: Node) => void): void {
  if (!isMap(node)) return;
  for (const pair of node.items) {
    const key = pairKey(pair);
    const keyNode = pair.key as Node;
    if (key === undefined) {
      report(ctx, keyNode, 'wrong-type', `expected a plain key, got ${nodeKind(keyNode)}`);
      continue;
    }
    const value = (pair.value ?? null) as Node | null;
    ctx.src.record([...path, key], ctx.src.nodeLoc(keyNode), 'key');
    ctx.src.record([...path, key], ctx.src.nodeLoc(value ?? keyNode));
    visit(key, value, keyNode);
  }
}

/**
 * What the keys of a map may be: names matching a pattern (topic names, step names), or one of a
 * known set (Kafka's topic configs), where a near miss gets a did-you-mean.
 */
export type KeyRule = { regex: RegExp; explain: string } | { names: readonly string[]; explain: string };

/** A map whose keys the user chooses (topic names, step names); entries that fail are dropped. */
export class MapSpec<T> extends Spec<Record<string, T>> {
  constructor(
    readonly value: Spec<T>,
    readonly keyName: string,
    private readonly keyRule?: KeyRule,
  ) {
    super();
  }
  typeName() {
    return `map of ${this.keyName} → ${this.value.typeName()}`;
  }
  /** Reports a key the rule refuses; true when it is allowed. */
  private keyAllowed(key: string, keyNode: Node, ctx: ParseCtx): boolean {
    const rule = this.keyRule;
    if (!rule) return true;
    if ('regex' in rule) {
      if (rule.regex.test(key)) return true;
      report(ctx, keyNode, 'invalid-value', `${this.keyName} ${JSON.stringify(key)} ${rule.explain}`);
      return false;
    }
    if (rule.names.includes(key)) return true;
    const guess = didYouMean(key, rule.names);
    const message = `unknown ${this.keyName} \`${key}\`` + (guess ? ` — did you mean \`${guess}\`?` : '');
    report(ctx, keyNode, 'unknown-key', message, guess ? undefined : rule.explain);
    return false;
  }
  parse(node: Node | null, path: Path, ctx: ParseCtx) {
    if (!node || !isMap(node)) return report(ctx, node, 'wrong-type', `expected a map of ${this.keyName}s, got ${nodeKind(node)}`);
    const out: Record<string, T> = {};
    eachPair(node, path, ctx, (key, value, keyNode) => {
      if (!this.keyAllowed(key, keyNode, ctx)) return;
      const v = this.value.parse(value, [...path, key], ctx);
      if (v !== undefined) out[key] = v;
    });
    return out;
  }
  protected schema(): JsonSchema {
    return {
      type: 'object',
      additionalProperties: this.value.jsonSchema(),
      ...(this.keyRule
        ? { propertyNames: 'regex' in this.keyRule ? { pattern: this.keyRule.regex.source } : { enum: [...this.keyRule.names] } }
        : {}),
    };
  }
}

type Fields = Record<string, Spec<unknown>>;
export type InferObject<F extends Fields> = { [K in keyof F]: Infer<F[K]> };

export class ObjectSpec<F extends Fields> extends Spec<InferObject<F>> {
  constructor(
    readonly fields: F,
    readonly title: string,
  ) {
    super();
  }
  typeName() {
    return this.title;
  }
  parse(node: Node | null, path: Path, ctx: ParseCtx) {
    if (!node || !isMap(node)) return report(ctx, node, 'wrong-type', `expected a map (${this.title}), got ${nodeKind(node)}`);
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    let ok = true;
    eachPair(node, path, ctx, (key, value, keyNode) => {
      const spec = this.fields[key];
      if (!spec) {
        const guess = didYouMean(key, Object.keys(this.fields));
        ctx.diag.error(
          ctx.src.nodeLoc(keyNode),
          'unknown-key',
          `unknown key \`${key}\` in ${this.title}` + (guess ? ` — did you mean \`${guess}\`?` : ''),
          guess ? undefined : `${this.title} takes: ${Object.keys(this.fields).join(', ')}`,
        );
        return;
      }
      seen.add(key);
      // `batch:` with nothing after it means "the defaults", as if the key were absent.
      if (isScalar(value) && value.value === null && spec.defaultValue !== undefined) {
        out[key] = structuredClone(spec.defaultValue);
        return;
      }
      const v = spec.parse(value, [...path, key], ctx);
      if (v === undefined && value !== null) ok = false;
      out[key] = v;
    });
    for (const [key, spec] of Object.entries(this.fields)) {
      if (seen.has(key)) {
        if (out[key] === undefined && spec.required) ok = false;
        continue;
      }
      if (spec.defaultValue !== undefined) out[key] = structuredClone(spec.defaultValue);
      else if (spec.required) {
        ctx.diag.error(
          ctx.src.nodeLoc(node),
          'missing-key',
          `${this.title} needs \`${key}\` (${spec.typeName()})`,
          spec.description || undefined,
        );
        ok = false;
      }
    }
    return ok ? (out as InferObject<F>) : undefined;
  }
  protected schema(): JsonSchema {
    const properties = Object.fromEntries(Object.entries(this.fields).map(([k, s]) => [k, s.jsonSchema()]));
    const required = Object.entries(this.fields)
      .filter(([, s]) => s.required)
      .map(([k]) => k);
    return { type: 'object', title: this.title, properties, additionalProperties: false, ...(required.length ? { required } : {}) };
  }
}

/** Alternatives chosen by the shape of the node: a scalar, a map or a list. */
export class EitherSpec<A, B> extends Spec<A | B> {
  constructor(
    readonly scalar: Spec<A> | undefined,
    readonly map: Spec<B> | undefined,
    private readonly name: string,
  ) {
    super();
  }
  typeName() {
    return this.name;
  }
  parse(node: Node | null, path: Path, ctx: ParseCtx) {
    if (node && isMap(node) && this.map) return this.map.parse(node, path, ctx);
    if (node && isScalar(node) && this.scalar) return this.scalar.parse(node, path, ctx);
    return report(ctx, node, 'wrong-type', `expected ${this.name}, got ${nodeKind(node)}`);
  }
  protected schema(): JsonSchema {
    return { oneOf: [this.scalar?.jsonSchema(), this.map?.jsonSchema()].filter(Boolean) };
  }
}

/** An option with its own parser, for shapes the kit does not cover. */
export class CustomSpec<T> extends Spec<T> {
  constructor(
    private readonly name: string,
    private readonly parser: (node: Node | null, path: Path, ctx: ParseCtx) => T | undefined,
    private readonly json: JsonSchema,
  ) {
    super();
  }
  typeName() {
    return this.name;
  }
  parse(node: Node | null, path: Path, ctx: ParseCtx) {
    return this.parser(node, path, ctx);
  }
  protected schema(): JsonSchema {
    return this.json;
  }
}
