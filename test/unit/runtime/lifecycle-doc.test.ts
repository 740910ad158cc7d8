import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lifecycleMarkdown } from '../../../src/runtime/lifecycle.ts';
import { generatedSection } from '../../../scripts/generated-section.ts';

describe('docs/runtime.md', () => {
  it('shows the lifecycle table the code runs (npm run gen:docs)', () => {
    expect(generatedSection(readFileSync('docs/runtime.md', 'utf8'), 'lifecycle')).toBe(lifecycleMarkdown());
  });
});
