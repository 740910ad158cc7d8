// Errors of the schema layer. A DeserializationError is a poison pill: retrying cannot help, the
// record goes to the DLQ with its bytes intact. A RegistryUnavailableError is the opposite: the
// record is fine, the registry is not; wait and retry, never dead-letter.

export type DeserializationReason = 'no-magic-byte' | 'unknown-schema-id' | 'undecodable' | 'unreadable-writer-schema';

export class DeserializationError extends Error {
  override name = 'DeserializationError';
  constructor(
    readonly reason: DeserializationReason,
    message: string,
    /** The schema id found in the bytes, if any. */
    readonly schemaId?: number,
  ) {
    super(message);
  }
}

/** A value does not match the schema it is encoded with. */
export class SchemaValidationError extends Error {
  override name = 'SchemaError';
  constructor(
    readonly subject: string,
    readonly problems: Array<{ path: string; expected: string; actual: string }>,
  ) {
    super(`value does not match ${subject}: ${problems.map((p) => `\`${p.path}\` expected ${p.expected}, got ${p.actual}`).join('; ')}`);
  }
}

export class RegistryUnavailableError extends Error {
  override name = 'RegistryUnavailableError';
}

/** The registry answered with an error for a well-formed request (bad schema, incompatible, …). */
export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    readonly status: number,
    readonly errorCode: number | undefined,
    message: string,
  ) {
    super(message);
  }
}
