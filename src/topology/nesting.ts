// A bound on how deeply a YAML file nests. The yaml library composes nodes recursively and the
// compiler walks them recursively too: a few thousand levels (`[[[[…`) exhaust the call stack and
// surface as "Maximum call stack size exceeded" with no useful place. The parser's token stream
// (CST) is built without recursion, so the depth is measured there, iteratively, before composing.
import { Parser, type CST } from 'yaml';

/** Far beyond any real topology (about 7 levels) or test record, far below a stack overflow (~1000). */
export const MAX_NESTING = 100;

type Item = { key?: CST.Token | null; value?: CST.Token };

/** The offset of the first collection nested deeper than MAX_NESTING, or undefined. */
export function tooDeepAt(text: string, onNewLine?: (offset: number) => void): number | undefined {
  let first: number | undefined;
  const stack: Array<[CST.Token, number]> = [];
  for (const token of new Parser(onNewLine).parse(text)) stack.push([token, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    let items: Item[] = [];
    let inner = depth;
    if (token.type === 'document') items = [{ value: token.value }];
    else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      inner = depth + 1;
      if (inner > MAX_NESTING) {
        first = Math.min(first ?? Infinity, token.offset);
        continue;
      }
      items = token.items;
    }
    for (const item of items) {
      if (item.key) stack.push([item.key, inner]);
      if (item.value) stack.push([item.value, inner]);
    }
  }
  return first;
}
