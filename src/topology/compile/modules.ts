// Static checks of a step's transform module: it stays inside the project, exists and has the named
// export. The compiler does not import it (it is pure: no user code runs here); `weir validate`
// then imports the modules that pass, as `weir run` would (src/cli/commands/validate-transforms.ts).
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { didYouMean } from '../diagnostics.ts';
import type { CompileContext, Site, StepEntry } from './context.ts';

export type ModuleCheck =
  | { ok: true }
  | { ok: false; reason: 'missing-module' | 'missing-export'; exports: string[] }
  | { ok: false; reason: 'outside-project'; why: string };

/** Names a module exports, read from its source text (declarations and export lists). */
export function exportedNames(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(/export\s+(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)/g)) names.add(m[1]!);
  for (const m of source.matchAll(/export\s+(?:const|let|var|class)\s+([A-Za-z_$][\w$]*)/g)) names.add(m[1]!);
  for (const m of source.matchAll(/export\s*\{([^}]*)\}/g)) {
    for (const part of m[1]!.split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop()
        ?.trim();
      if (name) names.add(name);
    }
  }
  if (/export\s+default\b/.test(source)) names.add('default');
  return [...names].sort();
}

const isOutside = (base: string, target: string) => {
  const rel = relative(base, target);
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
};

/**
 * Why a module path leads out of the project, if it does. `weir run` imports and runs what it names:
 * a topology must not reach code elsewhere on the machine by `..` or an absolute path. A symlink
 * in the project is followed: it is part of the project's tree, put there (and reviewed) as files
 * are — shared transforms linked into a monorepo's projects, the test fixtures' layout.
 */
function outsideProject(root: string, modulePath: string, abs: string): string | undefined {
  if (isAbsolute(modulePath)) return 'is an absolute path';
  if (isOutside(root, abs)) return `leads outside the project root ${root}`;
  return undefined;
}

export function checkModule(root: string, modulePath: string, exportName: string): ModuleCheck {
  const abs = resolve(root, modulePath);
  const isFile = statSync(abs, { throwIfNoEntry: false })?.isFile() ?? false;
  const why = outsideProject(root, modulePath, abs);
  if (why) return { ok: false, reason: 'outside-project', why };
  if (!isFile) return { ok: false, reason: 'missing-module', exports: [] };
  const source = readFileSync(abs, 'utf8');
  const exports = exportedNames(source);
  // `export * from` re-exports names we cannot see statically: trust it rather than guess.
  if (exports.includes(exportName) || /export\s*\*\s*from/.test(source)) return { ok: true };
  return { ok: false, reason: 'missing-export', exports };
}

/** The step's `<module>#<export>`, reported where it is wrong; recorded for importing when it is not. */
export function checkTransformModule(ctx: CompileContext, entry: StepEntry, site: Site): { module: string; export: string } | null {
  const spec = entry.decl.transform;
  if (!spec) return null;
  const [module, exportName] = spec.split('#') as [string, string];
  const at = { ...site, path: [...site.path, 'transform'] };
  const result = checkModule(ctx.root, module, exportName);
  if (result.ok) ctx.transforms.push({ step: entry.name, module, export: exportName, loc: ctx.loc(at) });
  else if (result.reason === 'outside-project')
    ctx.diag.error(
      ctx.loc(at),
      'outside-project',
      `transform module ${module} ${result.why}`,
      'transform modules live inside the project (the folder with package.json); write their path relative to it',
    );
  else if (result.reason === 'missing-module')
    ctx.diag.error(
      ctx.loc(at),
      'missing-module',
      `transform module ${module} does not exist`,
      `paths are relative to the project root ${ctx.root}`,
    );
  else {
    const guess = didYouMean(exportName, result.exports);
    ctx.diag.error(
      ctx.loc(at),
      'missing-export',
      `${module} has no export \`${exportName}\`` + (guess ? ` — did you mean \`${guess}\`?` : ''),
      guess ? undefined : `it exports: ${result.exports.join(', ') || 'nothing'}`,
    );
  }
  return { module, export: exportName };
}
