// The files weir validate is given: one named twice is read once, a directory is named in the error.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run.ts';

async function validate(...files: string[]) {
  const err: string[] = [];
  const code = await runCli(['validate', ...files], { out: () => undefined, err: (t) => err.push(t) });
  return { code, err: err.join('\n') };
}

describe('validate input files', () => {
  it('reads a file given twice once: no duplicate steps against itself', async () => {
    expect(await validate('topology/orders.yaml', './topology/orders.yaml', 'topology/orders.yaml')).toEqual({ code: 0, err: '' });
  });

  it('names a directory given as a topology file, at 1:1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-validate-dir-'));
    const r = await validate(dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${dir}:1:1: error[no-files] ${dir} is a directory, not a topology file`);
    expect(r.err).toContain(`hint: name the files in it (e.g. ${dir}/*.yaml)`);
  });
});
