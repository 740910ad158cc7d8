// The console's pages and the fragments htmx swaps into them. Server-rendered HTML with hono's
// `html` template, which escapes every value put into it (record keys, values, headers and error
// messages are data, never markup). Values are redacted before they are sent (server.ts).
import { html, raw } from 'hono/html';
import type { StepView } from './overview.ts';

export type Html = ReturnType<typeof html>;

const STYLE = `
body{font:14px system-ui,sans-serif;margin:0;color:#202124}header{background:#1a3d6d;color:#fff;padding:10px 20px;display:flex;gap:24px;align-items:center}
header a{color:#fff;text-decoration:none}header b{font-size:16px}main{padding:16px 20px}table{border-collapse:collapse;margin:8px 0 18px}
td,th{border:1px solid #dadce0;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f1f3f4}.num{text-align:right}
.bad{color:#b3261e;font-weight:600}.ok{color:#137333}pre{background:#f8f9fa;border:1px solid #dadce0;padding:8px;overflow:auto;max-width:1100px}
.card{border:1px solid #dadce0;border-radius:6px;padding:8px 14px;margin-bottom:14px}.muted{color:#5f6368}button{cursor:pointer}
.graph{overflow:auto;border:1px solid #dadce0;border-radius:6px;padding:6px;margin-bottom:16px;background:#fff}`;

// A refusal (4xx) is a fragment to show, not an error to drop: htmx swaps it in like a success.
const HTMX_CONFIG = JSON.stringify({
  responseHandling: [
    { code: '204', swap: false },
    { code: '[23]..', swap: true },
    { code: '4..', swap: true, error: true },
    { code: '...', swap: false, error: true },
  ],
});

export function layout(title: string, body: Html, actions: boolean): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${title} · weir console</title>
        <style>
          ${raw(STYLE)}
        </style>
        <meta name="htmx-config" content="${HTMX_CONFIG}" />
        <script src="/assets/htmx.min.js"></script>
      </head>
      <body>
        <header>
          <b>weir console</b><a href="/">Pipeline</a><a href="/dlq">Dead letters</a><a href="/replay">Replay</a>
          <span class="muted" style="color:#c6dafc">${actions ? 'actions on (token required)' : 'read-only'}</span>
        </header>
        <main>${body}</main>
      </body>
    </html>`;
}

const age = (ms: number | null) => (ms === null ? '—' : ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

export function overviewPage(svg: string): Html {
  return html`<h2>Pipeline</h2>
    <div class="graph" data-testid="graph">${raw(svg)}</div>
    <div id="steps" hx-get="/fragments/steps" hx-trigger="load, every 2s" hx-swap="innerHTML">loading…</div>`;
}

function stepCard(s: StepView): Html {
  const lag = s.input.reduce((sum, p) => sum + p.lag, 0);
  const stalled = new Set(s.figures.stalled.map((x) => x.partition));
  return html`<div class="card" data-testid="step" data-step="${s.step}">
    <h3>${s.step} <span class="muted">${s.kind} · group ${s.group}</span></h3>
    <p>
      lag <b data-testid="lag">${lag}</b> · throughput <b>${s.throughput === null ? '—' : `${s.throughput.toFixed(1)} records/s`}</b> ·
      transactions committed ${s.figures.committed}, aborted
      <span class="${s.figures.aborted > 0 ? 'bad' : ''}">${s.figures.aborted}</span> · DLQ
      <a href="/dlq/${encodeURIComponent(s.step)}" class="${s.dlq.depth > 0 ? 'bad' : ''}" data-testid="dlq-depth">${s.dlq.depth}</a>
    </p>
    <table>
      <tr>
        <th>partition</th>
        <th>committed</th>
        <th>last stable</th>
        <th>lag</th>
        <th>member (consumer id / host)</th>
        <th></th>
      </tr>
      ${s.input.map(
        (p) =>
          html`<tr>
            <td class="num">${p.partition}</td>
            <td class="num">${p.committed ?? '—'}</td>
            <td class="num">${p.end}</td>
            <td class="num">${p.lag}</td>
            <td>${p.consumerId ?? '—'} ${p.host ? `/ ${p.host}` : ''}</td>
            <td>${stalled.has(p.partition) ? html`<span class="bad">stalled</span>` : ''}</td>
          </tr>`,
      )}
    </table>
    ${s.tiers.length
      ? html`<table>
          <tr>
            <th>retry tier</th>
            <th>waiting</th>
            <th>oldest</th>
          </tr>
          ${s.tiers.map(
            (t) =>
              html`<tr>
                <td>${t.topic}</td>
                <td class="num">${t.depth}</td>
                <td>${age(t.oldestAgeMs)}</td>
              </tr>`,
          )}
        </table>`
      : ''}
  </div>`;
}

export function stepsFragment(steps: StepView[], workers: { answered: number; asked: number }): Html {
  return html`<p class="muted">Updated ${new Date().toISOString()} · workers answering: ${workers.answered} of ${workers.asked}</p>
    ${steps.map(stepCard)}`;
}
