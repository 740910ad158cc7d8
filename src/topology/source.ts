// A topology file as YAML nodes with positions, and an index from option paths to source locations
// so that semantic checks can point at the line that caused them.
import { LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostics, Loc } from './diagnostics.ts';
import { MAX_NESTING, tooDeepAt } from './nesting.ts';

export type Path = readonly (string | number)[];
export const pathKey = (path: Path): string => JSON.stringify(path);
export const pathText = (path: Path): string =>
  path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][\w-]*$/.test(p) ? `${i ? '.' : ''}${p}` : `[${JSON.stringify(p)}]`))
    .join('');

export class SourceFile {
  readonly doc: Document;
  private readonly lines = new LineCounter();
  /** Location of each visited value, and of each map key (suffix ":key"). */
  private readonly locs = new Map<string, Loc>();
  private readonly tooDeep: boolean;

  constructor(
    readonly path: string,
    readonly text: string,
    diag: Diagnostics,
    /** YAML merge keys (`<<: *anchor`): test files use them to vary one record. */
    merge = false,
  ) {
    // The depth check reads the whole text first and counts its lines for every location below.
    const deep = tooDeepAt(text, this.lines.addNewLine);
    this.tooDeep = deep !== undefined;
    // Not composed at all: composing it is what would overflow the stack.
    this.doc = parseDocument(this.tooDeep ? '' : text, { prettyErrors: false, uniqueKeys: true, merge });
    if (deep !== undefined) {
      diag.error(
        this.offsetLoc(deep),
        'yaml-syntax',
        `the YAML nests more than ${MAX_NESTING} levels deep here`,
        'a topology needs a handful of levels; deeper nesting is refused before it exhausts the parser',
      );
    }
    for (const e of this.doc.errors) {
      // Point at the offending token, not at the indentation before it.
      let at = e.pos[0];
      while (text[at] === ' ' || text[at] === '\t') at++;
      diag.error(this.offsetLoc(at), 'yaml-syntax', e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:$/, ''));
    }
  }

  get ok(): boolean {
    return !this.tooDeep && this.doc.errors.length === 0;
  }

  offsetLoc(offset: number): Loc {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.path, line, column: col };
  }

  nodeLoc(node: Node | null | undefined): Loc {
    return node?.range ? this.offsetLoc(node.range[0]) : { file: this.path, line: 1, column: 1 };
  }

  record(path: Path, loc: Loc, what: 'value' | 'key' = 'value'): void {
    this.locs.set(pathKey(path) + (what === 'key' ? ':key' : ''), loc);
  }

  /**
   * Where `path` is written. An option that is absent (a default was used) points at the key of
   * its nearest written parent: "step `notify`" rather than the first line inside it.
   */
  locate(path: Path, what: 'value' | 'key' = 'value'): Loc {
    const exact = this.locs.get(pathKey(path) + (what === 'key' ? ':key' : '')) ?? this.locs.get(pathKey(path));
    if (exact) return exact;
    for (let n = path.length - 1; n >= 0; n--) {
      const prefix = pathKey(path.slice(0, n));
      const loc = this.locs.get(prefix + ':key') ?? this.locs.get(prefix);
      if (loc) return loc;
    }
    return { file: this.path, line: 1, column: 1 };
  }
}
