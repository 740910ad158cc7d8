// Replay planning in the console: a dry run of `weir replay` for a step — per partition where its
// offset would go and how many records would be processed again, what downstream sees them again,
// and whether the group's members must stop first. Executing a replay stays with the CLI.
import { html } from 'hono/html';
import type { ReplayPlan } from '../admin/replay.ts';
import type { Plan } from '../topology/plan.ts';
import type { Html } from './pages.ts';

export function replayPage(plan: Plan): Html {
  return html`<h2>
      Replay planning <span class="muted">(dry run: execute with <code>weir replay … --execute</code>)</span>
    </h2>
    <form hx-post="/replay/plan" hx-target="#replay" hx-swap="innerHTML">
      step
      <select name="step">
        ${plan.steps.map((s) => html`<option>${s.name}</option>`)}
      </select>
      to
      <select name="to">
        <option value="earliest">earliest</option>
        <option value="latest">latest</option>
        <option value="datetime">a time</option>
      </select>
      <input name="at" placeholder="2026-12-01T10:00:00Z or 2h" />
      <button data-testid="plan-replay">plan</button>
    </form>
    <div id="replay"></div>`;
}

export function replayFragment(p: ReplayPlan): Html {
  const total = p.partitions.reduce((n, r) => n + Math.max(0, r.reprocess), 0);
  return html`<div data-testid="replay-plan">
    <p>Replay of <b>${p.step}</b> (group ${p.group}): <b>${total}</b> records processed again.</p>
    <table>
      <tr>
        <th>partition</th>
        <th>committed</th>
        <th>target</th>
        <th>records again</th>
      </tr>
      ${p.partitions.map(
        (r) =>
          html`<tr>
            <td>${r.topic}/${r.partition}</td>
            <td class="num">${r.committed ?? '—'}</td>
            <td class="num">${r.target}</td>
            <td class="num">${r.reprocess}</td>
          </tr>`,
      )}
    </table>
    ${p.warnings.map((w) => html`<p class="bad">${w}</p>`)}
    ${p.downstream.length
      ? html`<p>Downstream, these see the records again:</p>
          <ul>
            ${p.downstream.map(
              (d) => html`<li>${d.idempotent ? 'idempotent' : html`<b class="bad">not idempotent</b>`} ${d.target}: ${d.note}</li>`,
            )}
          </ul>`
      : ''}
    ${p.activeMembers.length
      ? html`<p class="bad">
          The group has active members (${p.activeMembers.map((m) => `${m.clientId}@${m.host}`).join(', ')}): stop the step's workers before
          executing.
        </p>`
      : ''}
  </div>`;
}
