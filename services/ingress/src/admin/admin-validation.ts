import { z } from 'zod';
import { findTenant, type Db } from '@scimflow/db';
import { ScimError } from '@scimflow/scim';

/** zod issues as one SCIM 400 detail. */
export function parseOrBadRequest<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw ScimError.badRequest(
      'invalidValue',
      parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  return parsed.data;
}

export async function requireTenant(db: Db, tenantId: string): Promise<void> {
  if (!(await findTenant(db, tenantId))) throw ScimError.notFound(`Tenant ${tenantId} not found`);
}

export const limitParam = z.coerce.number().int().min(1).max(1000).default(100);
