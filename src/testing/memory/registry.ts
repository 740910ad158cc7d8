// An in-memory schema registry with the Confluent id rules the serdes depend on: ids are global,
// start at 1, and one schema (compared as canonical JSON) has one id under every subject.
import type { RegisteredVersion } from '../../schema/registry.ts';

const canonical = (schemaText: string): string => JSON.stringify(JSON.parse(schemaText));

interface Version {
  version: number;
  id: number;
}

export class MemoryRegistry {
  /** Schema text by id - 1, as first registered. */
  private readonly schemas: string[] = [];
  private readonly idsByCanonical = new Map<string, number>();
  private readonly subjects = new Map<string, Version[]>();

  /** The schema's id; registers it as the subject's next version unless already there. */
  register(subject: string, schemaText: string): number {
    const key = this.canonicalOf(subject, schemaText);
    let id = this.idsByCanonical.get(key);
    if (id === undefined) {
      id = this.schemas.push(schemaText);
      this.idsByCanonical.set(key, id);
    }
    const versions = this.subjects.get(subject) ?? [];
    if (!versions.some((v) => v.id === id)) versions.push({ version: versions.length + 1, id });
    this.subjects.set(subject, versions);
    return id;
  }

  async schemaById(id: number): Promise<string | undefined> {
    return this.schemas[id - 1];
  }

  /** The version under `subject` with this schema, if registered there. */
  async lookup(subject: string, schemaText: string): Promise<RegisteredVersion | undefined> {
    const id = this.idsByCanonical.get(this.canonicalOf(subject, schemaText));
    const found = id === undefined ? undefined : this.subjects.get(subject)?.find((v) => v.id === id);
    return found && { subject, version: found.version, id: found.id, schema: this.schemas[found.id - 1]! };
  }

  private canonicalOf(subject: string, schemaText: string): string {
    try {
      return canonical(schemaText);
    } catch (err) {
      // Confluent answers 422 (invalid schema) here; a test wants the cause, not a SyntaxError.
      throw new Error(`schema for ${subject} is not valid JSON: ${(err as Error).message}`);
    }
  }
}
