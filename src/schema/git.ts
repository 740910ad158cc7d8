// Reading files as they were at a git ref, for offline compatibility checks in pull requests.
import { execFileSync } from 'node:child_process';
import { relative, resolve } from 'node:path';

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

export class GitSource {
  readonly top: string;

  constructor(
    readonly cwd: string,
    readonly ref: string,
  ) {
    try {
      this.top = git(cwd, ['rev-parse', '--show-toplevel']).trim();
    } catch {
      throw new Error(`${cwd} is not inside a git repository: --against git:${ref} needs one`);
    }
    try {
      git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    } catch {
      throw new Error(`git ref ${ref} does not exist here (fetch it first, e.g. \`git fetch origin main\`)`);
    }
  }

  private path(absOrRootRel: string, root: string): string {
    return relative(this.top, resolve(root, absOrRootRel)).split('\\').join('/');
  }

  /** Content of a file (relative to `root`) at the ref; undefined if it did not exist there. */
  read(file: string, root: string, at = this.ref): string | undefined {
    try {
      return git(this.cwd, ['show', `${at}:${this.path(file, root)}`]);
    } catch {
      return undefined;
    }
  }

  /** Contents of every committed version of a file reachable from the ref, oldest first. */
  history(file: string, root: string, limit = 100): string[] {
    const commits = git(this.cwd, ['log', `--max-count=${limit}`, '--format=%H', this.ref, '--', this.path(file, root)])
      .split('\n')
      .filter(Boolean);
    return commits.reverse().flatMap((c) => {
      const text = this.read(file, root, c);
      return text === undefined ? [] : [text];
    });
  }
}
