// ACLs for tests of a cluster that refuses us: CreateAcls / DeleteAcls v1 over the plain listener
// (a super user on the local stack). No npm client creates ACLs; this uses weir's protocol module.
import { BrokerConnection } from '../../src/kafka/protocol/connection.ts';
import { Writer } from '../../src/kafka/protocol/wire.ts';
import { services } from './services.ts';

const RESOURCE = { topic: 2, group: 3, transactionalId: 5 } as const;
const OPERATION = { read: 3, write: 4, describe: 8 } as const;
const PERMISSION = { deny: 2, allow: 3 } as const;
const PATTERN = { literal: 3, prefixed: 4 } as const;
const API = { createAcls: 30, deleteAcls: 31 };

export interface Acl {
  resource: keyof typeof RESOURCE;
  name: string;
  pattern?: keyof typeof PATTERN;
  principal: string;
  operation: keyof typeof OPERATION;
  permission: keyof typeof PERMISSION;
}

const binding = (w: Writer, a: Acl) =>
  w
    .int8(RESOURCE[a.resource])
    .string(a.name)
    .int8(PATTERN[a.pattern ?? 'literal'])
    .string(a.principal)
    .string('*')
    .int8(OPERATION[a.operation])
    .int8(PERMISSION[a.permission]);

async function send(api: number, body: Buffer): Promise<number[]> {
  const conn = await BrokerConnection.open(services().KAFKA_BOOTSTRAP_SERVERS, { protocol: 'PLAINTEXT' });
  try {
    const r = await conn.request(api, 1, body);
    r.int32(); // throttle time
    const codes: number[] = [];
    r.array((x) => {
      codes.push(x.int16());
      x.string();
      if (api === API.deleteAcls)
        x.array((m) => [m.int16(), m.string(), m.int8(), m.string(), m.int8(), m.string(), m.string(), m.int8(), m.int8()]);
    });
    return codes;
  } finally {
    conn.close();
  }
}

export async function createAcls(acls: Acl[]): Promise<void> {
  const codes = await send(API.createAcls, new Writer().array(acls, binding).build());
  if (codes.some((c) => c !== 0)) throw new Error(`CreateAcls failed: error codes ${codes.join(', ')}`);
}

/** Deletes exactly these ACLs (they survive broker restarts). */
export async function deleteAcls(acls: Acl[]): Promise<void> {
  await send(API.deleteAcls, new Writer().array(acls, binding).build());
}
