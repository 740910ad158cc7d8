// ACLs for tests of a cluster that refuses us: CreateAcls / DeleteAcls over the plain listener (a
// super user on the local stack), through @platformatic/kafka's Admin, the client weir uses for the
// admin calls librdkafka's binding lacks.
import { AclOperations, AclPermissionTypes, Admin, ResourcePatternTypes, ResourceTypes, type Acl as ClientAcl } from '@platformatic/kafka';
import { adminOptions } from '../../src/kafka/config-admin.ts';
import { services } from './services.ts';

const RESOURCE = { topic: ResourceTypes.TOPIC, group: ResourceTypes.GROUP, transactionalId: ResourceTypes.TRANSACTIONAL_ID } as const;
const OPERATION = { read: AclOperations.READ, write: AclOperations.WRITE, describe: AclOperations.DESCRIBE } as const;
const PERMISSION = { deny: AclPermissionTypes.DENY, allow: AclPermissionTypes.ALLOW } as const;
const PATTERN = { literal: ResourcePatternTypes.LITERAL, prefixed: ResourcePatternTypes.PREFIXED } as const;

export interface Acl {
  resource: keyof typeof RESOURCE;
  name: string;
  pattern?: keyof typeof PATTERN;
  principal: string;
  operation: keyof typeof OPERATION;
  permission: keyof typeof PERMISSION;
}

const binding = (a: Acl): ClientAcl => ({
  resourceType: RESOURCE[a.resource],
  resourceName: a.name,
  resourcePatternType: PATTERN[a.pattern ?? 'literal'],
  principal: a.principal,
  host: '*',
  operation: OPERATION[a.operation],
  permissionType: PERMISSION[a.permission],
});

async function withAdmin(call: (admin: Admin) => Promise<unknown>): Promise<void> {
  const admin = new Admin(adminOptions({ bootstrapServers: services().KAFKA_BOOTSTRAP_SERVERS, clientId: 'weir-test-acl' }));
  try {
    await call(admin);
  } finally {
    await admin.close();
  }
}

export async function createAcls(acls: Acl[]): Promise<void> {
  await withAdmin((admin) => admin.createAcls({ creations: acls.map(binding) }));
}

/** Deletes exactly these ACLs (they survive broker restarts). */
export async function deleteAcls(acls: Acl[]): Promise<void> {
  await withAdmin((admin) => admin.deleteAcls({ filters: acls.map(binding) }));
}
