// Hiding secrets in connection settings before they are printed: the password of a URL
// (`postgres://user:pw@…`, `redis://:pw@…`, `https://user:pw@registry/…`), password-like query
// parameters (`?password=…`, libpq's `sslpassword`), and whole values of secret settings.

const SECRET_PARAM = /^(password|passwd|pwd|sslpassword|secret|token|access_token|api_key|apikey)$/i;
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
