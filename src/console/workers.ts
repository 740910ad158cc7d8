// The workers' own view, read from their endpoints: transactions committed and aborted (Prometheus
// text of /metrics) and stalled partitions (/readyz). Best effort: a worker that does not answer
// leaves its figures out, and the page says how many answered.
export interface WorkerFigures {
  committed: number;
  aborted: number;
  stalled: Array<{ partition: number; lag: number; lastError: string | undefined }>;
}

export interface Scrape {
  answered: number;
  asked: number;
  forStep(step: string): WorkerFigures;
}

const LINE = /^weir_transactions_total\{([^}]*)\}\s+([0-9.e+]+)$/;

function labels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

async function fetchText(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return await res.text();
  } catch {
    return undefined;
  }
}

export async function scrapeWorkers(bases: string[]): Promise<Scrape> {
  const figures = new Map<string, WorkerFigures>();
  const of = (step: string) => {
    let f = figures.get(step);
    if (!f) figures.set(step, (f = { committed: 0, aborted: 0, stalled: [] }));
    return f;
  };
  let answered = 0;
  await Promise.all(
    bases.map(async (base) => {
      const [metrics, ready] = await Promise.all([fetchText(`${base}/metrics`), fetchText(`${base}/readyz`)]);
      if (metrics === undefined) return;
      answered++;
      for (const line of metrics.split('\n')) {
        const m = LINE.exec(line);
        if (!m) continue;
        const l = labels(m[1]!);
        if (l.step && (l.outcome === 'committed' || l.outcome === 'aborted')) of(l.step)[l.outcome] += Number(m[2]);
      }
      if (!ready) return;
      try {
        const body = JSON.parse(ready) as { workers?: Array<{ step: string; stalled?: WorkerFigures['stalled'] }> };
        for (const w of body.workers ?? []) of(w.step).stalled.push(...(w.stalled ?? []));
      } catch {
        // not a weir worker's /readyz
      }
    }),
  );
  return { answered, asked: bases.length, forStep: (step) => figures.get(step) ?? { committed: 0, aborted: 0, stalled: [] } };
}
