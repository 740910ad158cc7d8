// Worker-thread entry of admin-isolated.ts: makes one @platformatic/kafka Admin call and posts the
// result (or the error's message and causes) back.
import { parentPort, workerData } from 'node:worker_threads';
import { Admin } from '@platformatic/kafka';
import type { KafkaConnection } from './client-config.ts';
import { adminOptions } from './config-admin.ts';

export interface AdminCall {
  conn: KafkaConnection;
  method: 'describeConfigs' | 'incrementalAlterConfigs';
  request: unknown;
  timeoutMs: number;
}

export type AdminReply = { ready: true } | { ok: true; result: unknown } | { ok: false; message: string };

const call = workerData as AdminCall;
const admin = new Admin(adminOptions(call.conn, call.timeoutMs));
// Loaded: the caller's deadline starts now, not while a busy machine loads modules.
parentPort!.postMessage({ ready: true } satisfies AdminReply);
let reply: AdminReply;
try {
  const result = await (admin[call.method] as (r: unknown) => Promise<unknown>).call(admin, call.request);
  reply = { ok: true, result };
} catch (err) {
  const e = err as Error & { errors?: Error[] };
  const causes = e.errors?.length ? `: ${e.errors.map((x) => x.message).join('; ')}` : '';
  reply = { ok: false, message: `${e.message}${causes}` };
}
parentPort!.postMessage(reply);
await admin.close().catch(() => undefined);
