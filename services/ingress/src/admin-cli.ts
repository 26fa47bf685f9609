import { parseArgs } from 'node:util';
import { loadConfig, type AdminConfig } from '@scimflow/config';
import { GroupResource, searchFromQuery, UserResource } from '@scimflow/scim';
import { createDatabase, isUuid, type Db } from '@scimflow/db';
import { runMain } from '@scimflow/telemetry';
import { tailLog } from './admin/log-tail';
import {
  createTenant,
  describeTenant,
  removeTenant,
  rotateTenantToken,
  scimBaseUrl,
  updateTenantSettings,
} from './admin/tenant-admin';
import { replayDeadLetters, testWebhook } from './admin/webhook-actions';
import { searchPage } from './scim/resource-reads';
import { describeTenantActivity, describeTenants } from './admin/tenant-inventory';

const USAGE = `usage: npm run admin -- <command>

  tenants list [--search <text>] [--limit <n>] [--cursor <c>]
                               tenants by creation, with users, groups, disabled and token last used
  tenants create <name>        create a tenant; prints its SCIM base URL and token (shown once)
  tenants rotate-token <id> [--grace-seconds <s>]
                               issue a new token; the old one stops working immediately, or after <s>
  tenants get <id>             show a tenant's settings (never its token)
  tenants summary <id>         users, groups, last request, the last 24 h (writes, failures, 429s), webhook lag
  tenants disable <id>         SCIM requests get 403 (nothing is deleted); tenants enable <id> undoes it
  tenants delete <id>          delete the tenant and all its data
  tenants update <id> <json>   change the name or settings, e.g.
                               '{"requiredAttributes": {"User": ["userName", "externalId"]}, "defaultGroups": ["<group id>"]}'
                               '{"notificationEmails": ["ops@acme.example"], "notifyWindowSeconds": 900, "logRetentionDays": 30}'
  users list <id> [--filter <scim filter>] [--count <n>] [--start <i>]
  groups list <id> [...the same]
                               the tenant's users or groups (read-only; groups without their members)
  webhooks test <id> <webhook id>
                               post a signed test body to the endpoint; prints what it answered
  webhooks replay <id> <webhook id>
                               deliver its dead letters again, oldest first
  logs tail <id> [--status failure|success] [-n <lines>] [--follow]
                               print the tenant's provisioning log, oldest first; --follow keeps printing`;

const TENANT_COMMANDS = new Set(['rotate-token', 'get', 'summary', 'disable', 'enable', 'delete', 'update']);

/** Same operations as the admin HTTP API, straight against the database; prints JSON. */
async function run(db: Db, config: AdminConfig, args: string[]): Promise<unknown> {
  const { publicUrl } = config;
  const [group, command, arg] = args;
  if ((group === 'users' || group === 'groups') && command === 'list' && arg && isUuid(arg)) {
    if (!(await describeTenant(db, arg, publicUrl))) throw new Error(`tenant ${arg} not found`);
    const resource = group === 'users' ? UserResource : GroupResource;
    return searchPage({ db, tenantId: arg, base: scimBaseUrl(publicUrl, arg) }, resource, browseFlags(args.slice(3)));
  }
  if (group === 'webhooks' && (command === 'test' || command === 'replay') && arg && isUuid(arg)) {
    const webhook = args[3];
    if (!webhook || !isUuid(webhook)) throw new UsageError();
    const key = { tenantId: arg, id: webhook };
    return command === 'test'
      ? testWebhook(db, key, config.webhookPolicy)
      : replayDeadLetters(db, key, config.webhookPolicy);
  }
  if (group === 'logs' && command === 'tail' && arg) {
    await tail(db, arg, args.slice(3));
    return undefined;
  }
  if (group === 'tenants' && command === 'list') return describeTenants(db, listFlags(args.slice(2)), publicUrl);
  if (group !== 'tenants' || !command || !arg) throw new UsageError();
  if (command === 'create') return createTenant(db, args.slice(2).join(' '), publicUrl);
  if (!TENANT_COMMANDS.has(command)) throw new UsageError();
  if (!isUuid(arg)) throw new Error(`tenant ${arg} not found`);
  const id = arg;
  switch (command) {
    case 'rotate-token':
      return orNotFound(await rotateTenantToken(db, id, rotationFlags(args.slice(3))), id);
    case 'get':
      return orNotFound(await describeTenant(db, id, publicUrl), id);
    case 'summary':
      return describeTenantActivity(db, id);
    case 'disable':
    case 'enable':
      return orNotFound(await updateTenantSettings(db, id, { disabled: command === 'disable' }, publicUrl), id);
    case 'delete':
      if (!(await removeTenant(db, id))) throw new Error(`tenant ${id} not found`);
      return { deleted: id };
    case 'update': {
      let body: unknown;
      try {
        body = JSON.parse(args.slice(3).join(' '));
      } catch {
        throw new Error(`the settings must be JSON\n${USAGE}`);
      }
      return orNotFound(await updateTenantSettings(db, id, body, publicUrl), id);
    }
    default:
      throw new UsageError();
  }
}

/** `users list` / `groups list` flags, as a SCIM query's parameters. */
function browseFlags(flags: string[]) {
  const { values } = parseArgs({
    args: flags,
    options: { filter: { type: 'string' }, count: { type: 'string' }, start: { type: 'string' } },
  });
  return searchFromQuery({
    ...(values.filter === undefined ? {} : { filter: values.filter }),
    ...(values.count === undefined ? {} : { count: values.count }),
    ...(values.start === undefined ? {} : { startIndex: values.start }),
  });
}

/** `tenants list` flags, as the API's query parameters. */
function listFlags(flags: string[]): Record<string, string> {
  const { values } = parseArgs({
    args: flags,
    options: { search: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
  });
  return {
    ...(values.search === undefined ? {} : { q: values.search }),
    ...(values.limit === undefined ? {} : { limit: values.limit }),
    ...(values.cursor === undefined ? {} : { cursor: values.cursor }),
  };
}

function rotationFlags(flags: string[]): { graceSeconds?: number } {
  const { values } = parseArgs({ args: flags, options: { 'grace-seconds': { type: 'string' } } });
  const grace = values['grace-seconds'];
  return grace === undefined ? {} : { graceSeconds: Number(grace) };
}

async function tail(db: Db, tenantId: string, flags: string[]): Promise<void> {
  const { values } = parseArgs({
    args: flags,
    options: {
      status: { type: 'string' },
      lines: { type: 'string', short: 'n', default: '20' },
      follow: { type: 'boolean', short: 'f', default: false },
    },
  });
  const lines = Number(values.lines);
  if (values.status !== undefined && values.status !== 'failure' && values.status !== 'success') throw new UsageError();
  if (!Number.isInteger(lines) || lines < 0 || lines > 10_000) throw new UsageError();
  if (!isUuid(tenantId) || !(await describeTenant(db, tenantId, ''))) throw new Error(`tenant ${tenantId} not found`);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  await tailLog(
    db,
    tenantId,
    { ...(values.status ? { status: values.status } : {}), lines, follow: values.follow, signal: stop.signal },
    (line) => console.log(line),
    () => console.error('-- following; Ctrl-C to stop'),
  );
}

class UsageError extends Error {
  constructor() {
    super(USAGE);
  }
}

/** Errors carry a SCIM detail when validation refused the input. */
function orNotFound<T>(value: T | undefined, id: string): T {
  if (value === undefined) throw new Error(`tenant ${id} not found`);
  return value;
}

runMain(async () => {
  const config = loadConfig(process.env, 'admin');
  const db = createDatabase({ url: config.databaseUrl, poolSize: 1, applicationName: 'scimflow-admin' });
  try {
    const result = await run(db, config, process.argv.slice(2));
    if (result !== undefined) console.log(JSON.stringify(result, null, 2));
  } finally {
    await db.destroy();
  }
});
