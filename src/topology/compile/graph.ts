// Steps that feed each other in a loop would process their own output forever.
import type { PlannedStep } from '../plan.ts';
import type { CompileContext } from './context.ts';

export function checkCycles(ctx: CompileContext, steps: PlannedStep[]): void {
  const readers = new Map<string, PlannedStep[]>();
  for (const s of steps) readers.set(s.input, [...(readers.get(s.input) ?? []), s]);
  const state = new Map<string, 'visiting' | 'done'>();
  const trail: PlannedStep[] = [];
  const reported = new Set<string>();

  const visit = (step: PlannedStep): void => {
    state.set(step.name, 'visiting');
    trail.push(step);
    for (const out of step.outputs) {
      for (const next of readers.get(out) ?? []) {
        if (state.get(next.name) === 'visiting') {
          const loop = trail.slice(trail.indexOf(next));
          const key = loop
            .map((s) => s.name)
            .sort()
            .join(',');
          if (!reported.has(key)) {
            reported.add(key);
            const entry = ctx.steps.find((e) => e.name === next.name)!;
            const path = [...loop, next].map((s) => `${s.name} (${s.input})`).join(' → ');
            ctx.diag.error(
              ctx.loc({ file: entry.file, path: ['steps', next.name, 'input'] }),
              'cycle',
              `steps form a cycle: ${path}`,
              'a step must not read, directly or through other steps, what it writes',
            );
          }
        } else if (!state.has(next.name)) visit(next);
      }
    }
    trail.pop();
    state.set(step.name, 'done');
  };
  for (const s of steps) if (!state.has(s.name)) visit(s);
}
