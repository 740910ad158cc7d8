// `${VAR}` and `${VAR:-default}` references to environment variables inside string options. The
// plan keeps them unresolved (it must never contain secrets); whoever connects resolves them.
export interface EnvRef {
  name: string;
  fallback?: string;
}

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const ANY_REF = /\$\{([^}]*)\}?/g;

/** The references in a template, or the text of a malformed one. */
export function envRefs(template: string): { refs: EnvRef[]; malformed?: string } {
  for (const m of template.matchAll(ANY_REF)) {
    if (!m[0].endsWith('}') || !/^[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?$/.test(m[1] ?? '')) return { refs: [], malformed: m[0] };
  }
  const refs = [...template.matchAll(REF)].map((m) => (m[2] === undefined ? { name: m[1]! } : { name: m[1]!, fallback: m[2] }));
  return { refs };
}

export class MissingEnvironmentVariable extends Error {
  constructor(
    readonly variable: string,
    readonly where: string,
  ) {
    super(`${where} uses \${${variable}}, but the environment variable ${variable} is not set`);
    this.name = 'MissingEnvironmentVariable';
  }
}

/** Substitutes references; `where` names the option for the error message. */
export function resolveTemplate(template: string, env: Record<string, string | undefined>, where: string): string {
  return template.replace(REF, (_, name: string, fallback: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    throw new MissingEnvironmentVariable(name, where);
  });
}

/** The environment values `resolveTemplate` puts into this template (to mask them in outputs). */
export function substitutedValues(template: string, env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(REF)) {
    const v = env[m[1]!];
    if (v !== undefined && v !== '') out.push(v);
  }
  return out;
}

/**
 * The template as far as it is known before `run`: a reference becomes the environment's value or
 * its fallback, else `unknown`. `startsUnknown` when the text begins with a value that is not
 * known (it may hold the whole URL); `fromEnv` names the variables whose values went in.
 */
export function partialResolve(
  template: string,
  env: Record<string, string | undefined>,
  unknown: string,
): { text: string; startsUnknown: boolean; fromEnv: string[] } {
  let startsUnknown = false;
  const fromEnv: string[] = [];
  const text = template.replace(REF, (_, name: string, fallback: string | undefined, offset: number) => {
    const v = env[name];
    if (v !== undefined && v !== '') {
      fromEnv.push(name);
      return v;
    }
    if (fallback !== undefined) return fallback;
    if (offset === 0) startsUnknown = true;
    return unknown;
  });
  return { text, startsUnknown, fromEnv };
}
