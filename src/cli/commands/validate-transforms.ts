// `weir validate`'s last check: import each transform module as `weir run` will, so that a module
// that does not load (syntax error, failing import, a throw at load) or whose export is not a
// function fails here, at the topology line that names it, instead of when a worker starts.
// The compiler only reads files; importing runs the module's top-level code, which is why it
// happens here and only for modules that passed the compiler's checks (inside the project, present,
// with the export).
import { importTransform, TransformLoadError } from '../../runtime/transform-module.ts';
import type { CompileResult } from '../../topology/compile/index.ts';
import type { Diagnostic } from '../../topology/diagnostics.ts';

export async function transformImportDiagnostics(result: CompileResult): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  for (const t of result.transforms) {
    try {
      await importTransform(result.root, t.module, t.export);
    } catch (err) {
      const message = err instanceof TransformLoadError ? err.message : `${t.module} does not load: ${String(err)}`;
      out.push({
        ...t.loc,
        severity: 'error',
        code: 'invalid-module',
        message: `transform of step \`${t.step}\`: ${message}`,
        hint: 'weir run imports this module to start the step; fix the module, or point `transform:` at a function export',
      });
    }
  }
  return out;
}
