import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  deleteTenant,
  findTenant,
  insertTenant,
  replaceTenantTokenHash,
  resolveMembers,
  setTenantDisabled,
  tenantSettingsSchema,
  updateTenant,
  validateRequiredPaths,
  type Db,
} from '@scimflow/db';
import { isStorableText, ScimError, type JsonObject } from '@scimflow/scim';
import { parseOrBadRequest } from './admin-validation';
import { generateToken, hashToken } from './tokens';

/** The "Tenant URL" an admin pastes into Entra ID or Okta. */
export function scimBaseUrl(publicUrl: string, tenantId: string): string {
  return `${publicUrl}/scim/v2/${tenantId}`;
}

export interface CreatedTenant {
  readonly id: string;
  readonly name: string;
  readonly scimBaseUrl: string;
  /** Shown once; only its hash is stored. */
  readonly token: string;
}

export interface TenantView {
  readonly id: string;
  readonly name: string;
  readonly scimBaseUrl: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly tokenRotatedAt: string;
  /** While a rotation's grace period runs: when the previous token stops working. */
  readonly previousTokenExpiresAt: string | null;
  readonly tokenLastUsedAt: string | null;
  readonly disabled: boolean;
  readonly disabledAt: string | null;
  readonly settings: JsonObject;
}

export async function createTenant(db: Db, name: string, publicUrl: string): Promise<CreatedTenant> {
  const token = generateToken();
  // Random (v4) rather than time-ordered ids: tenant ids appear in URLs and needn't reveal when they were made.
  const tenant = await insertTenant(db, { id: randomUUID(), name, tokenHash: hashToken(token) });
  return { id: tenant.id, name: tenant.name, scimBaseUrl: scimBaseUrl(publicUrl, tenant.id), token };
}

export const rotationBody = z
  .object({
    /** How long the token being replaced keeps working (0: it stops as this commits, as the seeds' IdPs expect). */
    graceSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .default(0),
  })
  .strict();

/** Issues a new token; the old one stops working as soon as this commits, or after `graceSeconds`. */
export async function rotateTenantToken(
  db: Db,
  id: string,
  body: unknown,
): Promise<{ token: string; previousTokenExpiresAt: string | null } | undefined> {
  const { graceSeconds } = parseOrBadRequest(rotationBody, body ?? {});
  const token = generateToken();
  if (!(await replaceTenantTokenHash(db, id, hashToken(token), graceSeconds))) return undefined;
  const expiresAt = graceSeconds > 0 ? (await findTenant(db, id))?.previousTokenExpiresAt : undefined;
  return { token, previousTokenExpiresAt: expiresAt?.toISOString() ?? null };
}

/** Deletes the tenant with all its data; its SCIM URL answers 401 from the commit on. */
export async function removeTenant(db: Db, id: string): Promise<boolean> {
  return deleteTenant(db, id);
}

export async function describeTenant(db: Db, id: string, publicUrl: string): Promise<TenantView | undefined> {
  const tenant = await findTenant(db, id);
  if (!tenant) return undefined;
  return {
    id: tenant.id,
    name: tenant.name,
    scimBaseUrl: scimBaseUrl(publicUrl, tenant.id),
    createdAt: tenant.createdAt.toISOString(),
    updatedAt: tenant.updatedAt.toISOString(),
    tokenRotatedAt: tenant.tokenRotatedAt.toISOString(),
    previousTokenExpiresAt:
      tenant.previousTokenExpiresAt && tenant.previousTokenExpiresAt > new Date()
        ? tenant.previousTokenExpiresAt.toISOString()
        : null,
    tokenLastUsedAt: tenant.tokenLastUsedAt?.toISOString() ?? null,
    disabled: tenant.disabledAt !== null,
    disabledAt: tenant.disabledAt?.toISOString() ?? null,
    settings: tenant.settings,
  };
}

const nameSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine(isStorableText, 'must not contain NUL characters or unpaired surrogates');

/** POST /admin/tenants. */
export const createTenantBody = z.object({ name: nameSchema }).strict();

/** PATCH /admin/tenants/{id}: `name` and any setting; a setting given as null is removed. */
export const tenantUpdateSchema = z
  .object({
    name: nameSchema.optional(),
    requiredAttributes: tenantSettingsSchema.shape.requiredAttributes.nullable(),
    defaultGroups: tenantSettingsSchema.shape.defaultGroups.nullable(),
    notificationEmails: tenantSettingsSchema.shape.notificationEmails.nullable(),
    notifyWindowSeconds: tenantSettingsSchema.shape.notifyWindowSeconds.nullable(),
    logRetentionDays: tenantSettingsSchema.shape.logRetentionDays.nullable(),
    budget: tenantSettingsSchema.shape.budget.nullable(),
    /** true: SCIM requests get 403 (the data is kept); false: enabled again. */
    disabled: z.boolean().optional(),
  })
  .strict();

export async function updateTenantSettings(
  db: Db,
  id: string,
  body: unknown,
  publicUrl: string,
): Promise<TenantView | undefined> {
  const update = parseOrBadRequest(tenantUpdateSchema, body);
  const tenant = await findTenant(db, id);
  if (!tenant) return undefined;
  const { name, disabled, ...changes } = update;
  const settings: JsonObject = { ...tenant.settings };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete settings[key];
    else if (value !== undefined) settings[key] = value as JsonObject[string];
  }
  const checked = tenantSettingsSchema.parse(settings);
  validateRequiredPaths(checked);
  const missing = (checked.defaultGroups ?? []).filter((groupId) => groupId);
  const found = await resolveMembers(db, id, missing);
  const notGroups = missing.filter((groupId) => found.get(groupId) !== 'Group');
  if (notGroups.length > 0)
    throw ScimError.badRequest('invalidValue', `defaultGroups: no such group in this tenant: ${notGroups.join(', ')}`);
  await updateTenant(db, id, { ...(name === undefined ? {} : { name }), settings });
  if (disabled !== undefined) await setTenantDisabled(db, id, disabled);
  return describeTenant(db, id, publicUrl);
}
