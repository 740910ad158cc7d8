// Hiding secrets before anything is printed or stored. One layer: every value from a secret source
// is registered where it is read (connection settings, secret settings, values substituted into an
// HTTP sink's URL and headers), and `redactText` masks all of them — plus URL passwords and secret
// query parameters in any text — at each output channel: logs (logger.ts), CLI output and errors
// (cli/run.ts), DLQ headers (retry/envelope.ts), /metrics (observability/server.ts) and the audit
// topic (admin/audit.ts).

/** Query parameter names whose values are credentials. */
const SECRET_PARAM = /^(.*password.*|passwd|pwd|.*secret.*|.*token.*|.*api[-_]?key.*|key|.*signature.*|sig|.*auth.*|credential.*)$/i;
const MASK = '***';

/** The value with any password hidden; a value that is not a URL is returned with `user:pw@` masked. */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value.replace(/(\/\/[^:/@]*:)[^@/]*@/, `$1${MASK}@`);
  }
  if (!url.host && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value; // `host:port` parsed as a scheme
  let changed = false;
  if (url.password) {
    url.password = MASK;
    changed = true;
  }
  for (const k of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(k)) {
      url.searchParams.set(k, MASK);
      changed = true;
    }
  }
  return changed ? url.toString().replaceAll(encodeURIComponent(MASK), MASK) : value;
}

/** What to print for a setting: secrets (per `isSecret`) entirely masked, URLs without their password. */
export function redactSetting(key: string, value: string, isSecret: (key: string) => boolean = () => false): string {
  if (isSecret(key)) return MASK;
  return redactUrl(value);
}

/** Header names whose values are credentials whatever their source. */
const SECRET_HEADER = /(authorization|token|secret|password|api[-_]?key|cookie|signature)/i;

export const isSecretHeader = (name: string): boolean => SECRET_HEADER.test(name);

/**
 * Masks known secret values wherever they appear in a text (an error message, a receiver's response
 * body): values substituted from the environment into options, and credential header values.
 * Values shorter than 4 characters are left alone: masking them would garble ordinary text.
 */
export function secretMasker(secrets: Iterable<string>): (text: string) => string {
  const values = [...new Set([...secrets].filter((v) => v.length >= 4))].sort((a, b) => b.length - a.length);
  if (values.length === 0) return (text) => text;
  return (text) => values.reduce((t, v) => t.replaceAll(v, MASK), text);
}

const registered = new Set<string>();
let maskRegistered: (text: string) => string = (text) => text;

/** Adds values from secret sources to what every output channel masks. */
export function registerSecrets(values: Iterable<string | undefined | null>): void {
  const before = registered.size;
  for (const v of values) {
    if (!v) continue;
    registered.add(v);
    // As they may appear when sent or printed: also URL-encoded.
    registered.add(encodeURIComponent(v));
  }
  if (registered.size !== before) maskRegistered = secretMasker(registered);
}

/** The secrets among connection settings: URL passwords and secret query values, and secret settings whole. */
export function secretsOfSettings(values: Record<string, string | undefined>, isSecret: (key: string) => boolean): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (!value) continue;
    if (isSecret(key)) out.push(value);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      continue;
    }
    if (url.password) out.push(decodeURIComponent(url.password));
    for (const [k, v] of url.searchParams) if (SECRET_PARAM.test(k) && v) out.push(v);
  }
  return out;
}

const URL_PASSWORD = /(\/\/[^\s:/@"']*:)[^\s@/"']+@/g;
const SECRET_QUERY = /([?&]([^=&\s"'#]+)=)([^&\s"'#]+)/g;

/** The text with every registered secret, URL password and secret query value masked. */
export function redactText(text: string): string {
  return maskRegistered(text)
    .replace(URL_PASSWORD, `$1${MASK}@`)
    .replace(SECRET_QUERY, (all, head: string, name: string) => (SECRET_PARAM.test(name) ? `${head}${MASK}` : all));
}
