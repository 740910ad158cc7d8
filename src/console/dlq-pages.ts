// The DLQ explorer's pages: failures grouped by error class and message (as `weir dlq stats`), the
// records of a group, one record (decoded value, raw bytes, headers, history), and the redrive and
// purge fragments: preview (a dry run), confirmation with the token, progress, audit entry.
import { html } from 'hono/html';
import type { DlqEntry, DlqFilter, DlqStats } from '../admin/dlq/entries.ts';
import type { Job, Preview } from './actions.ts';
import type { Html } from './pages.ts';

const when = (ms: number | undefined) => (ms === undefined ? '—' : new Date(ms).toISOString());
const query = (f: DlqFilter) =>
  new URLSearchParams(Object.entries(f).filter(([, v]) => v !== undefined) as Array<[string, string]>).toString();

export function dlqIndex(stats: DlqStats[]): Html {
  return html`<h2>Dead letters</h2>
    ${stats.map(
      (s) =>
        html`<div class="card" data-testid="dlq-step" data-step="${s.step}">
          <h3><a href="/dlq/${encodeURIComponent(s.step)}">${s.step}</a> <span class="muted">${s.topic}</span></h3>
          <p>
            ${s.depth} waiting · ${s.handled} handled · oldest ${s.oldestAgeMs === null ? '—' : `${Math.round(s.oldestAgeMs / 1000)} s`}
          </p>
          <table>
            <tr>
              <th>error class</th>
              <th>message</th>
              <th>records</th>
            </tr>
            ${s.byError.map(
              (g) =>
                html`<tr data-testid="error-group">
                  <td><a href="/dlq/${encodeURIComponent(s.step)}?${query({ errorClass: g.errorClass })}">${g.errorClass}</a></td>
                  <td>${g.message}</td>
                  <td class="num">${g.count}</td>
                </tr>`,
            )}
          </table>
        </div>`,
    )}`;
}

export function dlqList(step: string, entries: DlqEntry[], filter: DlqFilter, actions: boolean): Html {
  const base = `/dlq/${encodeURIComponent(step)}`;
  return html`<h2>Dead letters of ${step} ${filter.errorClass ? html`<span class="muted">· ${filter.errorClass}</span>` : ''}</h2>
    <form method="get" action="${base}">
      error class <input name="errorClass" value="${filter.errorClass ?? ''}" /> message contains
      <input name="message" value="${filter.message ?? ''}" /> key <input name="key" value="${filter.key ?? ''}" />
      <button>filter</button>
    </form>
    <table data-testid="dlq-records">
      <tr>
        <th>record</th>
        <th>key</th>
        <th>error</th>
        <th>attempt</th>
        <th>entered the DLQ</th>
      </tr>
      ${entries.map(
        (e) =>
          html`<tr>
            <td>
              <a data-testid="record-link" href="${base}/record/${e.record.partition}/${e.record.offset}"
                >${e.record.partition}@${e.record.offset}</a
              >
            </td>
            <td>${e.record.key?.toString('utf8') ?? 'null'}</td>
            <td><b>${e.errorClass}</b>: ${e.errorMessage}</td>
            <td class="num">${e.envelope.attempt}</td>
            <td>${when(e.record.timestamp)}</td>
          </tr>`,
      )}
    </table>
    <p>${entries.length} records waiting</p>
    ${actions && entries.length
      ? html`<div class="card">
          <h3>Actions on these ${entries.length} records</h3>
          <form hx-post="${base}/preview" hx-target="#action" hx-swap="innerHTML">
            ${Object.entries(filter).map(([k, v]) =>
              v === undefined ? '' : html`<input type="hidden" name="${k}" value="${String(v)}" />`,
            )}
            <select name="kind">
              <option value="redrive">redrive</option>
              <option value="purge">purge</option>
            </select>
            to
            <select name="to">
              <option value="input">the input</option>
              <option value="retry">the first retry tier</option>
            </select>
            <button data-testid="preview">preview (dry run)</button>
          </form>
          <div id="action"></div>
        </div>`
      : ''}`;
}

export function recordPage(step: string, e: DlqEntry, value: unknown): Html {
  const env = e.envelope;
  return html`<h2>${step} · record ${e.record.partition}@${e.record.offset}</h2>
    <p><b>${e.errorClass}</b>: ${e.errorMessage}</p>
    <h3>Value</h3>
    <pre data-testid="record-value">${JSON.stringify(value, null, 2) ?? 'null'}</pre>
    <h3>Raw bytes</h3>
    <pre data-testid="record-raw">
${e.record.value === null
        ? 'null (tombstone)'
        : `${e.record.value.length} bytes, base64: ${e.record.value.toString('base64').slice(0, 4_000)}`}</pre
    >
    <h3>History</h3>
    <table>
      <tr>
        <th>origin</th>
        <td>${env.origin.topic}/${env.origin.partition}@${env.origin.offset}</td>
      </tr>
      <tr>
        <th>attempts</th>
        <td>${env.attempt}</td>
      </tr>
      <tr>
        <th>first failure</th>
        <td>${when(env.firstFailure)}</td>
      </tr>
      <tr>
        <th>last failure</th>
        <td>${when(env.lastFailure)}</td>
      </tr>
      <tr>
        <th>redriven before</th>
        <td>${env.redriveCount} times</td>
      </tr>
      <tr>
        <th>handled</th>
        <td>${e.handled ? `${e.handled.action} by ${e.handled.by} at ${e.handled.at}` : 'no'}</td>
      </tr>
    </table>
    <h3>Headers</h3>
    <table>
      ${e.record.headers.map(
        (h) =>
          html`<tr>
            <th>${h.key}</th>
            <td>${h.value.toString('utf8')}</td>
          </tr>`,
      )}
    </table>`;
}

export function previewFragment(p: Preview, step: string): Html {
  const r = p.request;
  const what =
    r.kind === 'redrive' ? `redrive ${p.result.selected - p.result.skipped} records to ${p.topic}` : `purge ${p.result.selected} records`;
  return html`<div data-testid="preview-result">
    <p>Dry run: this would <b>${what}</b>${p.result.skipped ? ` (${p.result.skipped} held back by the loop guard)` : ''}:</p>
    <table>
      <tr>
        <th>record</th>
        <th>key</th>
        <th>error</th>
      </tr>
      ${p.records.slice(0, 100).map(
        (e) =>
          html`<tr>
            <td>${e.record.partition}@${e.record.offset}</td>
            <td>${e.record.key?.toString('utf8') ?? 'null'}</td>
            <td>${e.errorClass}</td>
          </tr>`,
      )}
    </table>
    <form hx-post="/dlq/${encodeURIComponent(step)}/execute" hx-target="#action" hx-swap="innerHTML">
      ${Object.entries(r.filter).map(([k, v]) => (v === undefined ? '' : html`<input type="hidden" name="${k}" value="${String(v)}" />`))}
      <input type="hidden" name="kind" value="${r.kind}" />
      <input type="hidden" name="to" value="${r.target.kind === 'input' ? 'input' : 'retry'}" />
      token <input type="password" name="token" data-testid="token" autocomplete="off" />
      <button data-testid="confirm">confirm: ${what}</button>
    </form>
  </div>`;
}

export function jobFragment(job: Job): Html {
  const poll = job.state === 'running' ? html`hx-get="/jobs/${job.id}" hx-trigger="every 500ms" hx-swap="outerHTML"` : '';
  return html`<div data-testid="job" data-state="${job.state}" ${poll}>
    <p>${job.request.kind} on ${job.request.step.name}: <b>${job.state}</b></p>
    <progress max="${job.total || 1}" value="${job.done}"></progress> ${job.done} of ${job.total || '…'}
    ${job.error ? html`<p class="bad">${job.error}</p>` : ''}
    ${job.audit
      ? html`<h4>Audit entry</h4>
          <pre data-testid="audit">${JSON.stringify(job.audit, null, 2)}</pre>`
      : ''}
  </div>`;
}

export const refused = (why: string): Html => html`<p class="bad" data-testid="refused">Refused: ${why}</p>`;
