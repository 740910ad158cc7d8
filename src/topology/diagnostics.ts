// Errors and warnings with a place (file, line, column), a stable code and, where we can, a fix.
export const DIAGNOSTIC_CODES = {
  'yaml-syntax': 'the file is not valid YAML, or nests deeper than any topology needs',
  'unknown-key': 'a key that the topology language does not have, or a topic config that Kafka does not have',
  'wrong-type': 'a value of the wrong type (e.g. a list where a number belongs)',
  'missing-key': 'a required key is absent',
  'invalid-value': 'a value of the right type that is not allowed (bad duration, out of range, …)',
  'missing-env': 'a ${VAR} reference to an environment variable that is not set',
  'unknown-topic': 'a step reads or writes a topic that no topology file declares',
  'missing-schema': 'a schema file that does not exist',
  'invalid-avro': 'a schema file that is not a valid Avro schema',
  'missing-module': 'a transform module file that does not exist',
  'missing-export': 'a transform module without the named export',
  'invalid-module': 'a transform module that does not load (syntax error, failing import, error at load) or whose export is not a function',
  'outside-project': 'a transform path that leads outside the project root (`..` or absolute)',
  'invalid-expression': 'a filter/map/route expression that does not parse (JSONata)',
  'step-kind': 'a step that is not exactly one of transform, filter, map, route, sink',
  'duplicate-group': 'two steps share a consumer group',
  'duplicate-step': 'two steps with the same id',
  'conflicting-topic': 'a topic declared twice with different settings',
  'topic-collision': "topic names that differ only in '.' versus '_': Kafka's metric names cannot tell them apart",
  cycle: 'steps that feed each other in a loop',
  'key-field-absent': 'the output key field is not in the output schema',
  'unknown-field': 'a mapping refers to a field the schema does not have',
  'retry-delays': 'retry delays that do not increase',
  'transaction-timeout': 'a transaction timeout shorter than the time one batch may take',
  'incompatible-edge': "a reader schema that cannot read the producing step's output schema",
  'partition-affinity': 'partition counts that break key affinity between a topic and its retry tiers',
  'no-files': 'no topology files were found, or a named file does not exist or is a directory',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

export interface Loc {
  file: string;
  line: number;
  column: number;
}

export interface Diagnostic extends Loc {
  severity: 'error' | 'warning';
  code: DiagnosticCode;
  message: string;
  hint?: string;
}

export class Diagnostics {
  readonly list: Diagnostic[] = [];

  error(loc: Loc, code: DiagnosticCode, message: string, hint?: string): void {
    this.list.push({ ...loc, severity: 'error', code, message, ...(hint ? { hint } : {}) });
  }

  warn(loc: Loc, code: DiagnosticCode, message: string, hint?: string): void {
    this.list.push({ ...loc, severity: 'warning', code, message, ...(hint ? { hint } : {}) });
  }

  get errors(): Diagnostic[] {
    return this.list.filter((d) => d.severity === 'error');
  }

  sorted(): Diagnostic[] {
    return sortDiagnostics(this.list);
  }
}

/** By file and position: the order `weir validate` prints them in. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
}

export function formatDiagnostic(d: Diagnostic): string {
  const head = `${d.file}:${d.line}:${d.column}: ${d.severity}[${d.code}] ${d.message}`;
  return d.hint ? `${head}\n  hint: ${d.hint}` : head;
}

/** Damerau-Levenshtein distance (adjacent transpositions count as one edit). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate, if it is close enough to be a plausible typo. */
export function didYouMean(word: string, candidateList: Iterable<string>): string | undefined {
  const candidates = [...candidateList];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 2));
  if (best !== undefined && bestDistance <= limit) return best;
  // Abbreviations: `custId` for `customerId` (the word's letters appear in order in the candidate).
  const abbreviated = [...candidates].filter((c) => word.length >= 3 && isSubsequence(word.toLowerCase(), c.toLowerCase()));
  return abbreviated.sort((a, b) => a.length - b.length)[0];
}

function isSubsequence(needle: string, hay: string): boolean {
  let i = 0;
  for (const ch of hay) if (ch === needle[i]) i++;
  return i === needle.length;
}
