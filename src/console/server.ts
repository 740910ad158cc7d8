// `weir console`'s server: Hono on Node's http, pages rendered here, htmx (served from this
// package, no CDN, no build step) for the live parts and the actions. Every response passes the
// redaction layer: no secret that weir knows of leaves the process, whatever a record holds.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { dlqDecoder } from '../admin/dlq/decode.ts';
import { dlqStats, pending, readDlq, type DlqFilter } from '../admin/dlq/entries.ts';
import { planReplay, type ResetSpec } from '../admin/replay.ts';
import { redactText } from '../config/redact.ts';
import type { KafkaConnection } from '../kafka/client-config.ts';
import type { RegistryClient } from '../schema/registry.ts';
import type { Plan } from '../topology/plan.ts';
import { Actions, type ActionRequest } from './actions.ts';
import { dlqIndex, dlqList, jobFragment, previewFragment, recordPage, refused } from './dlq-pages.ts';
import { graphSvg } from './graph-svg.ts';
import { Overview } from './overview.ts';
import { layout, overviewPage, stepsFragment, type Html } from './pages.ts';
import { replayFragment, replayPage } from './replay-page.ts';

export interface ConsoleOptions {
  plan: Plan;
  kafka: KafkaConnection;
  registry: RegistryClient;
  databaseUrl?: string;
  /** Base URLs of the workers' endpoints (metrics, readiness). */
  workers: string[];
  /** Enables redrive and purge, confirmed with this token; undefined: read-only. */
  token?: string;
}

export interface ConsoleServer {
  url: string;
  close(): Promise<void>;
}

const htmx = readFileSync(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'));

export function consoleApp(opts: ConsoleOptions): Hono {
  const app = new Hono();
  const actions = new Actions(opts.kafka, opts.token);
  const overview = new Overview(opts.plan, opts.kafka, opts.databaseUrl, opts.workers);
  const svg = graphSvg(opts.plan);
  const send = async (c: Context, body: Html, status: 200 | 400 | 403 | 404 = 200) => c.html(redactText(String(await body)), status);
  const page = (c: Context, title: string, body: Html) => send(c, layout(title, body, actions.enabled));
  const stepOf = (name: string) => opts.plan.steps.find((s) => s.name === name);
  const filterOf = (q: Record<string, string | undefined>): DlqFilter => ({
    ...(q.errorClass ? { errorClass: q.errorClass } : {}),
    ...(q.message ? { message: q.message } : {}),
    ...(q.key ? { key: q.key } : {}),
  });

  app.get('/assets/htmx.min.js', (c) => c.body(htmx, 200, { 'content-type': 'text/javascript', 'cache-control': 'max-age=3600' }));
  app.get('/', (c) => page(c, 'Pipeline', overviewPage(svg)));
  app.get('/fragments/steps', async (c) => {
    const { steps, workers } = await overview.steps();
    return send(c, stepsFragment(steps, workers));
  });
  app.get('/dlq', async (c) => {
    const stats = await Promise.all(opts.plan.steps.map(async (s) => dlqStats(s, await readDlq(opts.kafka, s))));
    return page(c, 'Dead letters', dlqIndex(stats));
  });
  app.get('/dlq/:step', async (c) => {
    const step = stepOf(c.req.param('step'));
    if (!step) return c.notFound();
    const filter = filterOf(c.req.query());
    return page(c, `DLQ ${step.name}`, dlqList(step.name, pending(await readDlq(opts.kafka, step), filter), filter, actions.enabled));
  });
  app.get('/dlq/:step/record/:partition/:offset', async (c) => {
    const step = stepOf(c.req.param('step'));
    const [partition, offset] = [Number(c.req.param('partition')), Number(c.req.param('offset'))];
    const entry = step && (await readDlq(opts.kafka, step)).find((e) => e.record.partition === partition && e.record.offset === offset);
    if (!step || !entry) return c.notFound();
    const decode = await dlqDecoder(opts.plan, step, [entry], opts.registry);
    return page(c, `DLQ record ${partition}@${offset}`, recordPage(step.name, entry, decode(entry)));
  });
  const requestOf = async (c: Context): Promise<{ request: ActionRequest; token: string | undefined } | undefined> => {
    const step = stepOf(c.req.param('step') ?? '');
    const form = (await c.req.parseBody()) as Record<string, string | undefined>;
    if (!step || (form.kind !== 'redrive' && form.kind !== 'purge')) return undefined;
    const target = form.to === 'retry' && step.retry.tiers.length ? ({ kind: 'tier', index: 0 } as const) : ({ kind: 'input' } as const);
    return { request: { kind: form.kind, step, filter: filterOf(form), target }, token: form.token };
  };
  app.post('/dlq/:step/preview', async (c) => {
    if (!actions.enabled) return send(c, refused('actions are off: start the console with --enable-actions'), 403);
    const r = await requestOf(c);
    if (!r) return send(c, refused('no such step or action'), 400);
    return send(c, previewFragment(await actions.preview(r.request), r.request.step.name));
  });
  app.post('/dlq/:step/execute', async (c) => {
    const r = await requestOf(c);
    if (!r) return send(c, refused('no such step or action'), 400);
    if (!actions.accepts(r.token)) return send(c, refused(actions.enabled ? 'the token is missing or wrong' : 'actions are off'), 403);
    return send(c, jobFragment(actions.start(r.request)));
  });
  app.get('/jobs/:id', (c) => {
    const job = actions.job(c.req.param('id'));
    return job ? send(c, jobFragment(job)) : c.notFound();
  });
  app.get('/replay', (c) => page(c, 'Replay', replayPage(opts.plan)));
  app.post('/replay/plan', async (c) => {
    const form = (await c.req.parseBody()) as Record<string, string | undefined>;
    const step = stepOf(form.step ?? '');
    if (!step) return send(c, refused('no such step'), 400);
    const at = form.to === 'datetime' ? Date.parse(form.at ?? '') : NaN;
    if (form.to === 'datetime' && Number.isNaN(at)) return send(c, refused('a time such as 2026-12-01T10:00:00Z is needed'), 400);
    const spec: ResetSpec =
      form.to === 'latest' ? { kind: 'latest' } : form.to === 'datetime' ? { kind: 'datetime', at } : { kind: 'earliest' };
    const planned = await planReplay({
      plan: opts.plan,
      step,
      spec,
      kafka: opts.kafka,
      ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
    });
    return send(c, replayFragment(planned));
  });
  app.onError((err, c) => c.text(redactText(`weir console: ${err.message}`), 500));
  return app;
}

export async function startConsole(opts: ConsoleOptions, port: number, host: string): Promise<ConsoleServer> {
  const app = consoleApp(opts);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: host }, (info: AddressInfo) => {
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${info.port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
    server.once('error', reject);
  });
}
