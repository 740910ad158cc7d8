// Reading topology files: YAML with positions → declarations, with every parse error collected.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { isMap, isScalar, type Node } from 'yaml';
import type { Diagnostics } from './diagnostics.ts';
import { pipelineSpec, type PipelineDecl } from './language.ts';
import { SourceFile } from './source.ts';
import type { ParseCtx } from './spec/core.ts';

export interface LoadedFile {
  /** Path relative to the project root, as it appears in the plan. */
  relPath: string;
  src: SourceFile;
  decl: PipelineDecl | undefined;
  /** Names declared under topics/steps, even where their body failed to parse. */
  topicNames: string[];
  stepNames: string[];
  envRefs: ParseCtx['envRefs'];
}

/** The nearest folder above `file` with a package.json; paths in topologies are relative to it. */
export function findProjectRoot(file: string): string {
  let dir = dirname(resolve(file));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return dirname(resolve(file));
    dir = parent;
  }
}

/** `topology/*.yaml|yml` under `cwd`, sorted. */
export function defaultTopologyFiles(cwd = process.cwd()): string[] {
  const dir = join(cwd, 'topology');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => relative(cwd, join(dir, f)));
}

/**
 * The files to compile, each once: a file named twice (`a.yaml ./a.yaml`, or through a symlink)
 * would otherwise collide with itself as duplicate steps. Undefined when one cannot be read (reported).
 */
export function inputFiles(files: string[], diag: Diagnostics, texts?: Record<string, string>): string[] | undefined {
  const unique = new Map<string, string>();
  let ok = true;
  for (const f of files) {
    const given = texts?.[f] !== undefined;
    const stat = given ? undefined : statSync(f, { throwIfNoEntry: false });
    if (!given && !stat) diag.error({ file: f, line: 1, column: 1 }, 'no-files', `${f} does not exist`);
    else if (stat?.isDirectory())
      diag.error(
        { file: f, line: 1, column: 1 },
        'no-files',
        `${f} is a directory, not a topology file`,
        `name the files in it (e.g. ${join(f, '*.yaml')}), or give no files to read topology/*.yaml`,
      );
    else {
      const key = given ? resolve(f) : realpathSync(f);
      if (!unique.has(key)) unique.set(key, f);
      continue;
    }
    ok = false;
  }
  return ok ? [...unique.values()] : undefined;
}

function sectionKeys(src: SourceFile, section: string): string[] {
  const root = src.doc.contents as Node | null;
  if (!root || !isMap(root)) return [];
  const node = root.get(section, true) as Node | undefined;
  if (!node || !isMap(node)) return [];
  return node.items.flatMap((p) => {
    const k = p.key as Node;
    return isScalar(k) ? [String(k.value)] : [];
  });
}

export function loadFile(displayPath: string, root: string, diag: Diagnostics, text?: string): LoadedFile {
  const content = text ?? readFileSync(displayPath, 'utf8');
  const src = new SourceFile(displayPath, content, diag);
  const relPath = relative(root, resolve(displayPath));
  const ctx: ParseCtx = { src, diag, envRefs: [] };
  let decl: PipelineDecl | undefined;
  if (src.ok) {
    const contents = src.doc.contents as Node | null;
    if (contents === null)
      diag.error(
        { file: displayPath, line: 1, column: 1 },
        'missing-key',
        'the file is empty',
        'a topology file starts with `pipeline: <name>`',
      );
    else decl = pipelineSpec.parse(contents, [], ctx);
  }
  return {
    relPath,
    src,
    decl,
    topicNames: src.ok ? sectionKeys(src, 'topics') : [],
    stepNames: src.ok ? sectionKeys(src, 'steps') : [],
    envRefs: ctx.envRefs,
  };
}
