import type { Router } from 'express';
import { z } from 'zod';
import { html, page } from '../console/html';
import { eventsQuery, webhookBody } from './event-admin';
import { logQuery } from './log-admin';
import { createTenantBody, rotationBody, tenantUpdateSchema } from './tenant-admin';
import { tenantsQuery } from './tenant-inventory';

type Method = 'get' | 'post' | 'patch' | 'delete';

/** One admin operation, described from the same zod schemas that validate it. */
export interface AdminOperation {
  readonly method: Method;
  /** OpenAPI form: `/tenants/{id}`. */
  readonly path: string;
  readonly summary: string;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Status → what it means. */
  readonly responses: Readonly<Record<string, string>>;
}

const json = 'Answer as JSON';
const scimList = 'A SCIM ListResponse (filter, sortBy, sortOrder, startIndex, count, attributes as in RFC 7644 §3.4.2)';

export const ADMIN_OPERATIONS: readonly AdminOperation[] = [
  {
    method: 'get',
    path: '/tenants',
    summary: 'List and search tenants',
    query: tenantsQuery,
    responses: { 200: json },
  },
  {
    method: 'post',
    path: '/tenants',
    summary: 'Create a tenant (the token is shown once)',
    body: createTenantBody,
    responses: { 201: json },
  },
  {
    method: 'get',
    path: '/tenants/{id}',
    summary: 'A tenant and its settings',
    responses: { 200: json, 404: 'No such tenant' },
  },
  {
    method: 'patch',
    path: '/tenants/{id}',
    summary: 'Change the name, settings, or disable',
    body: tenantUpdateSchema,
    responses: { 200: json, 400: 'Invalid setting', 404: 'No such tenant' },
  },
  {
    method: 'delete',
    path: '/tenants/{id}',
    summary: 'Delete a tenant and all its data',
    responses: { 204: 'Deleted', 404: 'No such tenant' },
  },
  {
    method: 'get',
    path: '/tenants/{id}/summary',
    summary: 'Size, last day of activity, webhook lag',
    responses: { 200: json },
  },
  {
    method: 'get',
    path: '/tenants/{id}/users',
    summary: "Browse the tenant's users (read-only)",
    responses: { 200: scimList },
  },
  {
    method: 'get',
    path: '/tenants/{id}/groups',
    summary: "Browse the tenant's groups (read-only)",
    responses: { 200: scimList },
  },
  {
    method: 'post',
    path: '/tenants/{id}/token',
    summary: 'Rotate the SCIM token',
    body: rotationBody,
    responses: { 200: json },
  },
  {
    method: 'post',
    path: '/tenants/{id}/webhooks',
    summary: 'Register a webhook (the secret is shown once)',
    body: webhookBody,
    responses: { 201: json },
  },
  {
    method: 'get',
    path: '/tenants/{id}/webhooks',
    summary: 'Webhooks and their delivery state',
    responses: { 200: json },
  },
  {
    method: 'delete',
    path: '/tenants/{id}/webhooks/{webhookId}',
    summary: 'Remove a webhook',
    responses: { 204: 'Removed' },
  },
  {
    method: 'get',
    path: '/tenants/{id}/webhooks/{webhookId}/dead-letters',
    summary: 'Events a webhook gave up on',
    responses: { 200: json },
  },
  {
    method: 'post',
    path: '/tenants/{id}/webhooks/{webhookId}/test',
    summary: 'Post a signed test body to the endpoint and say what it answered',
    responses: { 200: json },
  },
  {
    method: 'post',
    path: '/tenants/{id}/webhooks/{webhookId}/dead-letters/replay',
    summary: 'Deliver dead-lettered events again, oldest first',
    responses: { 200: json },
  },
  {
    method: 'get',
    path: '/tenants/{id}/events',
    summary: 'Poll the event log',
    query: eventsQuery,
    responses: { 200: json },
  },
  {
    method: 'get',
    path: '/tenants/{id}/logs',
    summary: 'The provisioning log, newest first',
    query: logQuery,
    responses: { 200: json },
  },
  { method: 'get', path: '/tenants/{id}/notifications', summary: 'Failure digests', responses: { 200: json } },
];

/** The request's side of a schema (what a client sends, before transforms and defaults). */
function schemaOf(type: z.ZodType) {
  return z.toJSONSchema(type, { io: 'input', unrepresentable: 'any' });
}

/** OpenAPI 3.1 of the admin API (JSON Schema 2020-12 is OpenAPI 3.1's schema dialect). */
export function adminOpenApi(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of ADMIN_OPERATIONS) {
    const pathParams = [...operation.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string', format: 'uuid' },
    }));
    // The query object's own JSON Schema, split into one parameter per property.
    const querySchema = operation.query ? schemaOf(operation.query) : undefined;
    const queryParams = Object.entries(querySchema?.properties ?? {}).map(([name, schema]) => ({
      name,
      in: 'query',
      required: false,
      schema,
    }));
    paths[operation.path] ??= {};
    paths[operation.path]![operation.method] = {
      summary: operation.summary,
      parameters: [...pathParams, ...queryParams],
      ...(operation.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(operation.body) } } } }
        : {}),
      responses: Object.fromEntries(
        Object.entries(operation.responses).map(([status, description]) => [status, { description }]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'scimflow admin API', version: '1' },
    servers: [{ url: '/admin' }],
    security: [{ adminToken: [] }],
    components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' } } },
    paths,
  };
}

/** /admin/openapi.json and a reference page rendered from it (/admin/docs). */
export function registerAdminDocs(router: Router): void {
  const spec = adminOpenApi();
  router.get('/openapi.json', (_req, res) => void res.json(spec));
  router.get('/docs', (_req, res) => {
    const body = html`<h1>Admin API</h1>
      <p>
        All under <code>/admin</code> with <code>Authorization: Bearer $ADMIN_TOKEN</code>. Machine-readable:
        <a href="/admin/openapi.json">openapi.json</a> (OpenAPI 3.1).
      </p>
      ${ADMIN_OPERATIONS.map(
        (operation) =>
          html`<section class="card">
            <h2><code>${operation.method.toUpperCase()} ${operation.path}</code></h2>
            <p>${operation.summary}</p>
            ${
              operation.query
                ? html`<h3>Query</h3>
                    <pre>${JSON.stringify(schemaOf(operation.query), null, 2)}</pre>`
                : ''
            }
            ${
              operation.body
                ? html`<h3>Body</h3>
                    <pre>${JSON.stringify(schemaOf(operation.body), null, 2)}</pre>`
                : ''
            }
            <p>
              ${Object.entries(operation.responses)
                .map(([status, text]) => `${status}: ${text}`)
                .join(' · ')}
            </p>
          </section>`,
      )}`;
    res.type('html').send(page('Admin API', body));
  });
}
