// A topic's key and value formats for `weir produce` and `weir consume`: from the topology, or given on the command line.
import { relative, resolve } from 'node:path';
import type { FormatRef } from '../../topology/language.ts';
import { findTopic, type Plan } from '../../topology/plan.ts';

/** A topic's key and value formats; Avro schema paths are relative to `root`. */
export interface TopicFormats {
  topic: string;
  key: FormatRef;
  value: FormatRef;
  root: string;
}

export class FormatError extends Error {
  override name = 'FormatError';
}

/** `string`, `json`, `bytes` or `avro:<schema.avsc>` (the path relative to `cwd`), as a format under `root`. */
export function parseFormat(text: string, root: string, cwd = process.cwd()): FormatRef {
  if (text === 'string' || text === 'json' || text === 'bytes') return { format: text };
  const avro = /^avro:(.+)$/.exec(text);
  if (avro) return { format: 'avro', schema: relative(root, resolve(cwd, avro[1]!)) };
  throw new FormatError(`expected string, json, bytes or avro:<schema.avsc>; got ${JSON.stringify(text)}`);
}

/**
 * The formats to write `topic` with: given ones win, else the topology's; the key is a string
 * unless said otherwise. Undefined when the topic is not in the plan and no value format is given.
 */
export function produceFormats(
  plan: Plan | undefined,
  root: string,
  topic: string,
  given: { key?: string | undefined; value?: string | undefined },
): TopicFormats | undefined {
  const planned = plan ? findTopic(plan, topic) : undefined;
  if (!planned && given.value === undefined) return undefined;
  return {
    topic,
    root,
    key: given.key !== undefined ? parseFormat(given.key, root) : (planned?.key ?? { format: 'string' }),
    value: given.value !== undefined ? parseFormat(given.value, root) : planned!.value,
  };
}

/**
 * How consumed bytes are read. Avro is always decoded with the schema it was written with (the id
 * in the record). `auto`: Avro when the bytes carry a schema id the registry knows, else JSON when
 * they parse, else text when they are printable UTF-8, else base64.
 */
export type DecodeFormat = 'string' | 'json' | 'bytes' | 'avro' | 'auto';

export function parseDecodeFormat(text: string): DecodeFormat {
  if (text === 'string' || text === 'json' || text === 'bytes' || text === 'avro' || text === 'auto') return text;
  if (/^avro:.+/.test(text)) return 'avro';
  throw new FormatError(`expected string, json, bytes, avro or auto; got ${JSON.stringify(text)}`);
}

/** Given formats win, else the topology's; a topic the topology does not know is read with `auto`. */
export function consumeFormats(
  plan: Plan | undefined,
  topic: string,
  given: { key?: string | undefined; value?: string | undefined },
): { key: DecodeFormat; value: DecodeFormat } {
  const planned = plan ? findTopic(plan, topic) : undefined;
  const pick = (text: string | undefined, ref: FormatRef | undefined) =>
    text !== undefined ? parseDecodeFormat(text) : (ref?.format ?? 'auto');
  return { key: pick(given.key, planned?.key), value: pick(given.value, planned?.value) };
}
