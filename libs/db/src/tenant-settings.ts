import { z } from 'zod';
import {
  GroupResource,
  parseRequiredAttribute,
  UserResource,
  type RequiredAttribute,
  type ResourceType,
} from '@scimflow/scim';

/**
 * Per-tenant provisioning profile (the app mappings of Twingate, Tailscale, Connecter):
 * attributes every created or replaced resource must carry, and groups every new user joins.
 */
export const tenantSettingsSchema = z
  .object({
    requiredAttributes: z
      .object({
        User: z.array(z.string().min(1)).max(50).optional(),
        Group: z.array(z.string().min(1)).max(50).optional(),
      })
      .strict()
      .optional(),
    defaultGroups: z.array(z.uuid()).max(100).optional(),
    /** Who gets the failure digest (Entra's "Notification Email"). */
    notificationEmails: z.array(z.email().max(254)).min(1).max(20).optional(),
    /** Overrides NOTIFY_WINDOW_SECONDS: at most one digest per this many seconds. */
    notifyWindowSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .optional(),
    /** How long the provisioning log and the event log are kept (default 30 days). */
    logRetentionDays: z.number().int().min(1).max(3650).optional(),
    /** This tenant's share (overrides the TENANT_* defaults); each key given replaces that one. */
    budget: z
      .object({
        /** Sustained writes per second (token bucket rate). */
        writesPerSecond: z.number().min(0.1).max(100_000),
        /** Writes that may arrive at once above the rate (bucket size). */
        writeBurst: z.number().int().min(1).max(1_000_000),
        /** Writes of this tenant in progress at once, across every ingress. */
        writesInFlight: z.number().int().min(1).max(100_000),
        readsPerSecond: z.number().min(0.1).max(100_000),
        readBurst: z.number().int().min(1).max(1_000_000),
      })
      .partial()
      .strict()
      .optional(),
  })
  .strict();

/** A tenant's budget: every key set, from its overrides and the service's defaults. */
export type TenantBudget = Required<NonNullable<TenantSettings['budget']>>;

/** The tenant's budget overrides, or none when its settings don't parse. */
export function budgetOverrides(settings: unknown): Partial<TenantBudget> {
  const parsed = tenantSettingsSchema.safeParse(settings ?? {});
  return parsed.success ? (parsed.data.budget ?? {}) : {};
}

export const DEFAULT_LOG_RETENTION_DAYS = 30;

export type TenantSettings = z.infer<typeof tenantSettingsSchema>;

/** Settings as the worker applies them: paths parsed against the schemas once. */
export interface TenantProfile {
  readonly required: ReadonlyMap<ResourceType['name'], readonly RequiredAttribute[]>;
  readonly defaultGroups: readonly string[];
}

export const EMPTY_PROFILE: TenantProfile = { required: new Map(), defaultGroups: [] };

/** Parses stored settings; a path that stopped parsing (schema change) is skipped rather than blocking writes. */
export function tenantProfile(settings: unknown): TenantProfile {
  const parsed = tenantSettingsSchema.safeParse(settings ?? {});
  if (!parsed.success) return EMPTY_PROFILE;
  const required = new Map<ResourceType['name'], RequiredAttribute[]>();
  for (const resource of [UserResource, GroupResource]) {
    const paths = parsed.data.requiredAttributes?.[resource.name] ?? [];
    const attributes: RequiredAttribute[] = [];
    for (const path of paths) {
      try {
        attributes.push(parseRequiredAttribute(resource, path));
      } catch {
        // validated when saved; nothing sensible to enforce if it no longer parses
      }
    }
    required.set(resource.name, attributes);
  }
  return { required, defaultGroups: parsed.data.defaultGroups ?? [] };
}

/** Checks every required-attribute path up front, so a bad profile is refused when saved. */
export function validateRequiredPaths(settings: TenantSettings): void {
  for (const resource of [UserResource, GroupResource]) {
    for (const path of settings.requiredAttributes?.[resource.name] ?? []) parseRequiredAttribute(resource, path);
  }
}
