import type { Router } from 'express';
import { adminOpenApi, ADMIN_OPERATIONS } from './admin-docs';
import { createDatabase } from '@scimflow/db';
import { createLogger } from '@scimflow/telemetry';
import { TenantTokenCache } from '../scim/tenant-token-cache';
import { adminRouter } from './admin-router';

/** Every route the admin router serves, as `METHOD /path/{param}`. */
function servedRoutes(router: Router): string[] {
  return router.stack.flatMap((layer) => {
    const route = layer.route as { path?: unknown; methods?: Record<string, boolean> } | undefined;
    if (!route || typeof route.path !== 'string') return [];
    const path = route.path.replaceAll(/:(\w+)/g, '{$1}');
    return Object.keys(route.methods ?? {}).map((method) => `${method.toUpperCase()} ${path}`);
  });
}

// Building the router connects to nothing (a pool connects at its first query, the token cache
// when started), so nothing needs to listen at this address.
const UNUSED_DATABASE = 'postgres://127.0.0.1:1/unused';
const db = createDatabase({ url: UNUSED_DATABASE, poolSize: 1, applicationName: 'scimflow-docs-test' });
afterAll(() => db.destroy());

describe('the admin API description', () => {
  const router = adminRouter({
    consoleKeys: { adminToken: 'a'.repeat(20), secret: 'b'.repeat(40) },
    queues: [],
    db,
    adminToken: 'a'.repeat(20),
    publicUrl: 'http://localhost:8080',
    tokens: new TenantTokenCache(db, UNUSED_DATABASE, createLogger({ level: 'silent', service: 'test' })),
    webhookPolicy: { allowPrivate: false },
  });

  it('describes every route the admin router serves, and nothing else', () => {
    const documented = ADMIN_OPERATIONS.map((operation) => `${operation.method.toUpperCase()} ${operation.path}`);
    const served = servedRoutes(router).filter((route) => !/ \/(openapi\.json|docs)$/.test(route));
    expect(served.toSorted()).toEqual(documented.toSorted());
  });

  it('is OpenAPI 3.1 whose bodies and queries come from the validating schemas', () => {
    const spec = adminOpenApi() as { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>> };
    expect(spec.openapi).toBe('3.1.0');
    const patch = spec.paths['/tenants/{id}']?.patch;
    expect(patch?.requestBody).toMatchObject({
      content: {
        'application/json': {
          schema: {
            type: 'object',
            additionalProperties: false,
            properties: expect.objectContaining({
              disabled: { type: 'boolean' },
              notificationEmails: expect.anything(),
            }),
          },
        },
      },
    });
    const list = spec.paths['/tenants']?.get?.parameters as { name: string }[];
    expect(list.map((parameter) => parameter.name)).toEqual(['q', 'limit', 'cursor']);
    for (const operations of Object.values(spec.paths))
      for (const operation of Object.values(operations)) expect(Object.keys(operation.responses ?? {})).not.toEqual([]);
  });
});
