// State shared by the compiler's checks: the loaded files, declared topics and steps, schema files
// (parsed once), and how to turn an option path into a source location.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidAvroSchema, parseAvroSchema, type AvroSchemaFile } from '../../schema/avro.ts';
import { didYouMean, type Diagnostics, type Loc } from '../diagnostics.ts';
import type { StepDecl, TopicDecl } from '../language.ts';
import type { LoadedFile } from '../load.ts';
import type { Path } from '../source.ts';
import type { EnvPhase } from '../spec/core.ts';

export interface TopicEntry {
  name: string;
  decl: TopicDecl;
  file: LoadedFile;
}

export interface StepEntry {
  name: string;
  pipeline: string;
  decl: StepDecl;
  file: LoadedFile;
}

/** A step's transform that passed the static checks: `weir validate` imports it, as `weir run` will. */
export interface TransformRef {
  step: string;
  module: string;
  export: string;
  /** Where the topology names it (the `transform:` value). */
  loc: Loc;
}

/** A place in a file: where to point diagnostics. */
export interface Site {
  file: LoadedFile;
  path: Path;
}

export class CompileContext {
  readonly topics = new Map<string, TopicEntry>();
  readonly steps: StepEntry[] = [];
  readonly transforms: TransformRef[] = [];
  private readonly schemas = new Map<string, AvroSchemaFile | Error>();

  constructor(
    readonly root: string,
    readonly diag: Diagnostics,
    readonly files: LoadedFile[],
    readonly env: Record<string, string | undefined> | undefined,
    /** Which command's references `env` must satisfy (see CompileOptions.envFor). */
    readonly envFor?: EnvPhase,
  ) {}

  loc(site: Site, what: 'value' | 'key' = 'value'): Loc {
    return site.file.src.locate(site.path, what);
  }

  /** Topic names declared anywhere, including those whose declaration failed to parse. */
  declaredTopicNames(): Set<string> {
    return new Set(this.files.flatMap((f) => f.topicNames));
  }

  /** Reports an undeclared topic with a did-you-mean hint; true when the topic exists. */
  requireTopic(name: string, site: Site, role: string): boolean {
    const names = this.declaredTopicNames();
    if (names.has(name)) return true;
    const guess = didYouMean(name, names);
    this.diag.error(
      this.loc(site),
      'unknown-topic',
      `${role} topic \`${name}\` is not declared in any topology file` + (guess ? ` — did you mean \`${guess}\`?` : ''),
      guess ? undefined : `declare it under \`topics:\` (declared: ${[...names].sort().join(', ') || 'none'})`,
    );
    return false;
  }

  /** The parsed schema at a project-relative path; reports a missing or invalid file at `site`. */
  schema(relPath: string, site: Site): AvroSchemaFile | undefined {
    if (!this.schemas.has(relPath)) {
      const abs = join(this.root, relPath);
      if (!existsSync(abs)) this.schemas.set(relPath, new Error('missing'));
      else {
        try {
          this.schemas.set(relPath, parseAvroSchema(readFileSync(abs, 'utf8'), relPath));
        } catch (err) {
          this.schemas.set(relPath, err as Error);
        }
      }
    }
    const result = this.schemas.get(relPath)!;
    if (!(result instanceof Error)) return result;
    if (result instanceof InvalidAvroSchema) this.diag.error(this.loc(site), 'invalid-avro', result.message);
    else
      this.diag.error(
        this.loc(site),
        'missing-schema',
        `schema file ${relPath} does not exist`,
        `paths are relative to the project root ${this.root}`,
      );
    return undefined;
  }

  /** The schema if it loads, without reporting (for checks that depend on an already-reported file). */
  schemaIfValid(relPath: string): AvroSchemaFile | undefined {
    const r = this.schemas.get(relPath);
    return r instanceof Error ? undefined : r;
  }
}
