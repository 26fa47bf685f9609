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

/** One row of the table below: the answer is JSON with `status` unless `responses` says more. */
function op(
  method: Method,
  path: string,
  summary: string,
  more: Partial<Pick<AdminOperation, 'query' | 'body' | 'responses'>> & { status?: number } = {},
): AdminOperation {
  const { status = 200, responses, ...schemas } = more;
  return { method, path, summary, ...schemas, responses: responses ?? { [status]: json } };
}

const tenant = '/tenants/{id}';
const webhook = `${tenant}/webhooks/{webhookId}`;

export const ADMIN_OPERATIONS: readonly AdminOperation[] = [
  op('get', '/tenants', 'List and search tenants', { query: tenantsQuery }),
  op('post', '/tenants', 'Create a tenant (the token is shown once)', { body: createTenantBody, status: 201 }),
  op('get', tenant, 'A tenant and its settings', { responses: { 200: json, 404: 'No such tenant' } }),
  op('patch', tenant, 'Change the name, settings, or disable', {
    body: tenantUpdateSchema,
    responses: { 200: json, 400: 'Invalid setting', 404: 'No such tenant' },
  }),
  op('delete', tenant, 'Delete a tenant and all its data', { responses: { 204: 'Deleted', 404: 'No such tenant' } }),
  op('get', `${tenant}/summary`, 'Size, last day of activity, webhook lag'),
  op('get', `${tenant}/users`, "Browse the tenant's users (read-only)", { responses: { 200: scimList } }),
  op('get', `${tenant}/groups`, "Browse the tenant's groups (read-only)", { responses: { 200: scimList } }),
  op('post', `${tenant}/token`, 'Rotate the SCIM token', { body: rotationBody }),
  op('post', `${tenant}/webhooks`, 'Register a webhook (the secret is shown once)', { body: webhookBody, status: 201 }),
  op('get', `${tenant}/webhooks`, 'Webhooks and their delivery state'),
  op('delete', webhook, 'Remove a webhook', { responses: { 204: 'Removed' } }),
  op('get', `${webhook}/dead-letters`, 'Events a webhook gave up on'),
  op('post', `${webhook}/test`, 'Post a signed test body to the endpoint and say what it answered'),
  op('post', `${webhook}/dead-letters/replay`, 'Deliver dead-lettered events again, oldest first'),
  op('get', `${tenant}/events`, 'Poll the event log', { query: eventsQuery }),
  op('get', `${tenant}/logs`, 'The provisioning log, newest first', { query: logQuery }),
  op('get', `${tenant}/notifications`, 'Failure digests'),
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
