import { z } from 'zod';
import { findTenant, listTenants, tenantActivity, type Db, type TenantListPosition } from '@scimflow/db';
import { ScimError } from '@scimflow/scim';
import { parseOrBadRequest } from './admin-validation';
import { scimBaseUrl } from './tenant-admin';

export const tenantsQuery = z
  .object({
    /** Part of the name, any case. */
    q: z.string().trim().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

const cursorSchema = z.object({ c: z.iso.datetime(), i: z.uuid() }).strict();

function encodeCursor(position: TenantListPosition): string {
  return Buffer.from(JSON.stringify({ c: position.createdAt.toISOString(), i: position.id })).toString('base64url');
}

function decodeCursor(cursor: string): TenantListPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const checked = cursorSchema.safeParse(parsed);
  if (!checked.success) throw ScimError.badRequest('invalidCursor', 'cursor is not one this API issued');
  return { createdAt: new Date(checked.data.c), id: checked.data.i };
}

/** GET /admin/tenants: search by name, pages by cursor (creation order), with each tenant's size and state. */
export async function describeTenants(db: Db, query: unknown, publicUrl: string) {
  const { q, limit, cursor } = parseOrBadRequest(tenantsQuery, query);
  const rows = await listTenants(db, {
    ...(q === undefined ? {} : { search: q }),
    ...(cursor === undefined ? {} : { after: decodeCursor(cursor) }),
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      id: row.id,
      name: row.name,
      scimBaseUrl: scimBaseUrl(publicUrl, row.id),
      createdAt: row.createdAt.toISOString(),
      disabled: row.disabledAt !== null,
      tokenLastUsedAt: row.tokenLastUsedAt?.toISOString() ?? null,
      users: row.users,
      groups: row.groups,
    })),
    nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
  };
}

/** GET /admin/tenants/{id}/summary: who is syncing or failing, and which webhook lags. */
export async function describeTenantActivity(db: Db, tenantId: string) {
  const tenant = await findTenant(db, tenantId);
  if (!tenant) throw ScimError.notFound(`Tenant ${tenantId} not found`);
  const activity = await tenantActivity(db, tenantId);
  return {
    tokenLastUsedAt: tenant.tokenLastUsedAt?.toISOString() ?? null,
    disabled: tenant.disabledAt !== null,
    users: activity.users,
    groups: activity.groups,
    lastRequestAt: activity.lastRequestAt?.toISOString() ?? null,
    last24h: activity.last24h,
    webhooks: activity.webhooks.map((hook) => ({
      id: hook.id,
      url: hook.url,
      deliveredSequence: hook.deliveredSequence,
      headSequence: hook.headSequence,
      lag: Math.max(0, hook.headSequence - hook.deliveredSequence),
      oldestUndeliveredAt: hook.oldestUndeliveredAt?.toISOString() ?? null,
    })),
  };
}

/** What the summary says about a tenant (the console shows it too). */
export type TenantActivityView = Awaited<ReturnType<typeof describeTenantActivity>>;
