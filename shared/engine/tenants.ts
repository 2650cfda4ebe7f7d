import { SkeinError } from '../domain/problems.ts';

export const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function assertTenantId(tenant: string): void {
  if (!TENANT_ID.test(tenant)) {
    throw new SkeinError(
      'INVALID_TENANT',
      `"${tenant}" is not a tenant id: use lowercase letters, digits and "-", starting with a letter or digit (at most 63)`,
    );
  }
}
