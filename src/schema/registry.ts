// A thin client for the Confluent Schema Registry REST API (Apicurio's /apis/ccompat/v7 speaks it
// too). Thin on purpose: @kafkajs/confluent-schema-registry refuses to register when its own
// expected compatibility differs from the subject's, and cannot decode into a reader schema.
import { RegistryError, RegistryUnavailableError } from './errors.ts';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** The registry's error code for a schema (id) it does not have. */
const SCHEMA_NOT_FOUND = 40403;

/** A failed request's reason, with the network cause fetch keeps apart ("fetch failed" alone says nothing). */
function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error ? (err.cause as { message?: unknown; code?: unknown } | undefined) : undefined;
  const detail =
    cause && (typeof cause.message === 'string' && cause.message ? cause.message : typeof cause.code === 'string' ? cause.code : '');
  return detail ? `${message} (${detail})` : message;
}

export interface RegisteredVersion {
  subject: string;
  version: number;
  id: number;
  schema: string;
}

export interface RegistryOptions {
  timeoutMs?: number;
  /** Attempts for network errors and 5xx answers. */
  attempts?: number;
  /** The longest one request may take, attempts included (a registry that never answers fails then). */
  deadlineMs?: number;
  /** The setting the URL came from, named in errors (e.g. SCHEMA_REGISTRY_URL). */
  setting?: string;
}

export class RegistryClient {
  private readonly base: string;
  private readonly auth: string | undefined;

  constructor(
    url: string,
    private readonly opts: RegistryOptions = {},
  ) {
    const u = new URL(url);
    // Credentials in the URL become a Basic auth header (and stay out of logged URLs).
    this.auth = u.username
      ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`
      : undefined;
    u.username = '';
    u.password = '';
    this.base = u.toString().replace(/\/$/, '');
  }

  get url(): string {
    return this.base;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const attempts = this.opts.attempts ?? 4;
    const deadline = Date.now() + (this.opts.deadlineMs ?? Infinity);
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const wait = Math.min(this.opts.timeoutMs ?? 10_000, deadline - Date.now());
      if (wait <= 0) break;
      try {
        const res = await fetch(`${this.base}${path}`, {
          method,
          headers: {
            accept: CONTENT_TYPE,
            ...(body !== undefined ? { 'content-type': CONTENT_TYPE } : {}),
            ...(this.auth ? { authorization: this.auth } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(wait),
        });
        const text = await res.text();
        if (res.status >= 500)
          throw new RegistryUnavailableError(
            `schema registry unavailable: ${method} ${this.base}${path}${this.from} answered ${res.status} ${text.slice(0, 200)}`,
          );
        return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
      } catch (err) {
        last =
          err instanceof RegistryUnavailableError
            ? err
            : new RegistryUnavailableError(`schema registry unreachable: ${method} ${this.base}${path}${this.from}: ${reasonOf(err)}`);
        if (attempt < attempts) await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, Math.max(0, deadline - Date.now()))));
      }
    }
    throw (
      last ??
      new RegistryUnavailableError(
        `schema registry unreachable: ${method} ${this.base}${path}${this.from}: no answer within ${this.opts.deadlineMs} ms`,
      )
    );
  }

  /** " (SETTING)" when the URL's setting is known: errors name where to fix it. */
  private get from(): string {
    return this.opts.setting ? ` (${this.opts.setting})` : '';
  }

  /** One request that any registry answers: fails, naming the URL, when none does within the deadline. */
  async probe(): Promise<void> {
    const r = await this.request('GET', '/subjects');
    if (r.status !== 200) this.fail(r.status, r.body, `listing subjects at ${this.base}${this.from}`);
  }

  private fail(status: number, body: unknown, what: string): never {
    const b = body as { message?: string; error_code?: number } | undefined;
    throw new RegistryError(status, b?.error_code, `${what}: ${b?.message ?? `HTTP ${status}`}`);
  }

  /**
   * The schema text for a global id; undefined when the registry says it does not have it (404 with
   * error code 40403, as Confluent, Apicurio, Karapace and Redpanda answer). A 404 without that code
   * is not the registry speaking (a gateway or proxy in front of it): unavailable, not unknown.
   */
  async schemaById(id: number): Promise<string | undefined> {
    const r = await this.request<{ schema: string; error_code?: number }>('GET', `/schemas/ids/${id}`);
    if (r.status === 404 && r.body?.error_code === SCHEMA_NOT_FOUND) return undefined;
    if (r.status === 404)
      throw new RegistryUnavailableError(
        `schema registry unavailable: GET ${this.base}/schemas/ids/${id}${this.from} answered 404 without the registry's "schema not found" (error code ${SCHEMA_NOT_FOUND})`,
      );
    if (r.status !== 200) this.fail(r.status, r.body, `schema id ${id}`);
    return r.body.schema;
  }

  async register(subject: string, schema: string): Promise<number> {
    const r = await this.request<{ id: number }>('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
      schema,
      schemaType: 'AVRO',
    });
    if (r.status !== 200) this.fail(r.status, r.body, `registering ${subject}`);
    return r.body.id;
  }

  /** The version under `subject` with exactly this schema, if registered. */
  async lookup(subject: string, schema: string): Promise<RegisteredVersion | undefined> {
    const r = await this.request<RegisteredVersion>('POST', `/subjects/${encodeURIComponent(subject)}`, { schema, schemaType: 'AVRO' });
    if (r.status === 404) return undefined;
    if (r.status !== 200) this.fail(r.status, r.body, `looking up ${subject}`);
    return r.body;
  }

  /** Version numbers of a subject, oldest first; [] when the subject does not exist. */
  async versions(subject: string): Promise<number[]> {
    const r = await this.request<number[]>('GET', `/subjects/${encodeURIComponent(subject)}/versions`);
    if (r.status === 404) return [];
    if (r.status !== 200) this.fail(r.status, r.body, `versions of ${subject}`);
    return r.body;
  }

  async version(subject: string, version: number | 'latest'): Promise<RegisteredVersion> {
    const r = await this.request<RegisteredVersion>('GET', `/subjects/${encodeURIComponent(subject)}/versions/${version}`);
    if (r.status !== 200) this.fail(r.status, r.body, `${subject} version ${version}`);
    return r.body;
  }

  /** The subject's own compatibility level, or undefined when it follows the global one. */
  async subjectCompatibility(subject: string): Promise<string | undefined> {
    const r = await this.request<{ compatibilityLevel?: string }>('GET', `/config/${encodeURIComponent(subject)}`);
    if (r.status === 404) return undefined;
    if (r.status !== 200) this.fail(r.status, r.body, `compatibility of ${subject}`);
    return r.body.compatibilityLevel;
  }

  async globalCompatibility(): Promise<string> {
    const r = await this.request<{ compatibilityLevel: string }>('GET', '/config');
    if (r.status !== 200) this.fail(r.status, r.body, 'global compatibility');
    return r.body.compatibilityLevel;
  }

  async setCompatibility(subject: string, level: string): Promise<void> {
    const r = await this.request('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
    if (r.status !== 200) this.fail(r.status, r.body, `setting compatibility of ${subject}`);
  }

  /**
   * The registry's own verdict on `schema` under the subject's level `level`. Confluent's
   * `/versions` (no version) checks what the level covers; Apicurio's checks every version even for
   * non-transitive levels, so plain levels ask `/versions/latest` (what registration checks too).
   */
  async isCompatible(subject: string, schema: string, level: string): Promise<boolean> {
    const base = `/compatibility/subjects/${encodeURIComponent(subject)}/versions`;
    const r = await this.request<{ is_compatible: boolean }>('POST', level.endsWith('_TRANSITIVE') ? base : `${base}/latest`, {
      schema,
      schemaType: 'AVRO',
    });
    if (r.status === 404) return true; // no versions yet: anything goes
    if (r.status !== 200) this.fail(r.status, r.body, `compatibility check of ${subject}`);
    return r.body.is_compatible;
  }
}
