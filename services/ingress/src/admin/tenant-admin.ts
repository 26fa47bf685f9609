import { randomUUID } from 'node:crypto';
import { findTenant, insertTenant, replaceTenantTokenHash, type Db } from '@scimflow/db';
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
}

export async function createTenant(db: Db, name: string, publicUrl: string): Promise<CreatedTenant> {
  const token = generateToken();
  // Random (v4) rather than time-ordered ids: tenant ids appear in URLs and needn't reveal when they were made.
  const tenant = await insertTenant(db, { id: randomUUID(), name, tokenHash: hashToken(token) });
  return { id: tenant.id, name: tenant.name, scimBaseUrl: scimBaseUrl(publicUrl, tenant.id), token };
}

/** Issues a new token; the old one stops working as soon as this commits. */
export async function rotateTenantToken(db: Db, id: string): Promise<{ token: string } | undefined> {
  const token = generateToken();
  return (await replaceTenantTokenHash(db, id, hashToken(token))) ? { token } : undefined;
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
  };
}
