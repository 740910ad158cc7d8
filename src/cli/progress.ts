// Progress of long operations on stderr: a redrawn bar on a terminal, a line per tenth otherwise.
export function progress(label: string, stream: NodeJS.WriteStream = process.stderr): (done: number, total: number) => void {
  const started = Date.now();
  let lastTenth = -1;
  return (done, total) => {
    const fraction = total === 0 ? 1 : done / total;
    const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
    const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
    const text = `${label} ${Math.round(fraction * 100)}% ${done}/${total}  ${rate.toFixed(1)}/s${done < total ? `  eta ${eta}s` : ''}`;
    if (stream.isTTY) {
      const width = 24;
      const filled = Math.round(fraction * width);
      stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}${done >= total ? '\n' : ''}`);
    } else {
      const tenth = Math.floor(fraction * 10);
      if (tenth !== lastTenth || done >= total) stream.write(`${text}\n`);
      lastTenth = tenth;
    }
  };
}

/** "2026-11-01T10:00:00Z", "2026-11-01", or an age like "2h" / "30m" meaning that long ago. */
export function parseTime(text: string, now = Date.now()): number | undefined {
  const ago = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  if (ago) return now - Number(ago[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[ago[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}
