// A generated section inside a hand-written Markdown file, between <!-- generated:NAME --> and
// <!-- /generated:NAME --> markers (each on a line of its own).
function bounds(doc: string, name: string): [number, number] | undefined {
  const open = `<!-- generated:${name} -->\n`;
  const start = doc.indexOf(open);
  const end = doc.indexOf(`<!-- /generated:${name} -->`, start);
  return start < 0 || end < 0 ? undefined : [start + open.length, end];
}

export function generatedSection(doc: string, name: string): string | undefined {
  const b = bounds(doc, name);
  return b ? doc.slice(b[0], b[1]).replace(/\n$/, '') : undefined;
}

export function replaceGenerated(doc: string, name: string, content: string): string {
  const b = bounds(doc, name);
  if (!b) throw new Error(`no <!-- generated:${name} --> section`);
  return `${doc.slice(0, b[0])}${content}\n${doc.slice(b[1])}`;
}
