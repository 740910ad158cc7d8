// An HTTP sink's URL must be an http(s) URL, or every delivery fails (fetch refuses it) and each
// record walks the retry chain into the DLQ. `${VAR}` parts are checked as far as they are known:
// with the environment's values when the command has them (`run`, `validate --check-env`), else
// with fallbacks, and a stand-in for the rest. A URL that starts with an unknown variable
// (`${NOTIFY_URL}`) may be anything, so it is left to `run`.
import { partialResolve } from '../templates.ts';
import type { CompileContext, Site, StepEntry } from './context.ts';

/** What is wrong with the URL, or undefined when it is fine or cannot be judged yet. */
function httpUrlProblem(text: string, startsUnknown: boolean): string | undefined {
  if (startsUnknown) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'it does not parse as a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `its scheme is ${url.protocol} (not http: or https:)`;
  return undefined;
}

export function checkHttpUrl(ctx: CompileContext, entry: StepEntry, site: Site): void {
  const url = entry.decl.sink?.http?.url;
  if (url === undefined) return;
  // "1" can stand in anywhere: in a host, a port, a path, a user name.
  const { text, startsUnknown, fromEnv } = partialResolve(url, ctx.env ?? {}, '1');
  const problem = httpUrlProblem(text, startsUnknown);
  if (!problem) return;
  // Names only: the values may carry credentials (the URL's user info, a token).
  const resolved = fromEnv.length ? ` (with ${fromEnv.map((n) => `\${${n}}`).join(', ')} from the environment)` : '';
  ctx.diag.error(
    ctx.loc({ ...site, path: [...site.path, 'sink', 'http', 'url'] }),
    'invalid-value',
    `the HTTP sink's url${resolved} is not a valid http(s) URL: ${problem}`,
    'write http://host[:port]/path or https://…; a ${VAR} may stand for any part, e.g. ${NOTIFY_URL} or https://${HOST}/notify',
  );
}
