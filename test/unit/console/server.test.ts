// The console's server without a cluster: the pipeline page draws the example's graph, the
// assets are served from the package, and actions are refused — off without --enable-actions,
// and without the right token when on — before anything reaches Kafka.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Actions } from '../../../src/console/actions.ts';
import { consoleApp } from '../../../src/console/server.ts';
import { RegistryClient } from '../../../src/schema/registry.ts';
import { compileTopology } from '../../../src/topology/compile/index.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const { plan } = compileTopology([join(ROOT, 'topology', 'orders.yaml')], { root: ROOT });
// Nothing listens there: a test that reached Kafka or the registry would fail, not pass.
const kafka = { bootstrapServers: '127.0.0.1:1', timeoutMs: 1_000 };
const app = (token?: string) =>
  consoleApp({ plan: plan!, kafka, registry: new RegistryClient('http://127.0.0.1:1'), workers: [], ...(token ? { token } : {}) });
const form = (fields: Record<string, string>) => ({
  method: 'POST',
  body: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});

describe('weir console server', () => {
  it('draws the pipeline: the three steps of the example, its topics, retry chains and DLQs', async () => {
    const res = await app().request('/');
    expect(res.status).toBe(200);
    const page = await res.text();
    const nodes = (shape: string) => [...page.matchAll(new RegExp(`<g class="node ${shape}" data-node="([^"]+)"`, 'g'))].map((m) => m[1]);
    expect(nodes('step').sort()).toEqual(['enrich', 'notify', 'store-orders']);
    expect(nodes('topic').sort()).toEqual(['orders.created', 'orders.enriched']);
    expect(nodes('dlq')).toContain('orders.created.enrich.dlq');
    expect(page).toContain('hx-get="/fragments/steps"');
    expect(page).toContain('read-only');
  });

  it('serves htmx from the package', async () => {
    const res = await app().request('/assets/htmx.min.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript');
    expect(await res.text()).toContain('htmx');
  });

  it('refuses actions when they are off', async () => {
    const res = await app().request('/dlq/enrich/preview', form({ kind: 'redrive', to: 'input' }));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('actions are off');
    const exec = await app().request('/dlq/enrich/execute', form({ kind: 'redrive', to: 'input', token: 'anything' }));
    expect(exec.status).toBe(403);
  });

  it('refuses an action without the token, or with a wrong one, when they are on', async () => {
    const on = app('the-right-token-123');
    for (const token of [undefined, '', 'the-right-token-12', 'the-right-token-1234']) {
      const res = await on.request('/dlq/enrich/execute', form({ kind: 'purge', to: 'input', ...(token === undefined ? {} : { token }) }));
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('the token is missing or wrong');
    }
  });

  it('compares tokens whole: a prefix or a longer token is not the token', () => {
    const actions = new Actions(kafka, 'abcdefghijklm');
    expect(actions.accepts('abcdefghijklm')).toBe(true);
    expect(actions.accepts('abcdefghijkl')).toBe(false);
    expect(actions.accepts('abcdefghijklmn')).toBe(false);
    expect(new Actions(kafka, undefined).accepts('abcdefghijklm')).toBe(false);
  });

  it('an unknown step is a 404, not an error page with internals', async () => {
    expect((await app().request('/dlq/nope/record/0/0')).status).toBe(404);
  });
});
