// Static check that a transform module exists and has the named export, without importing it:
// validation must not run user code or touch the network.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type ModuleCheck = { ok: true } | { ok: false; reason: 'missing-module' | 'missing-export'; exports: string[] };

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

export function checkModule(root: string, modulePath: string, exportName: string): ModuleCheck {
  const abs = join(root, modulePath);
  if (!existsSync(abs)) return { ok: false, reason: 'missing-module', exports: [] };
  const source = readFileSync(abs, 'utf8');
  const exports = exportedNames(source);
  // `export * from` re-exports names we cannot see statically: trust it rather than guess.
  if (exports.includes(exportName) || /export\s*\*\s*from/.test(source)) return { ok: true };
  return { ok: false, reason: 'missing-export', exports };
}
