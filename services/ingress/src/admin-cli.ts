import { parseArgs } from 'node:util';
import { loadConfig } from '@scimflow/config';
import { createDatabase, isUuid, type Db } from '@scimflow/db';
import { runMain } from '@scimflow/telemetry';
import { tailLog } from './admin/log-tail';
import { createTenant, describeTenant, rotateTenantToken, updateTenantSettings } from './admin/tenant-admin';

const USAGE = `usage: npm run admin -- <command>

  tenants create <name>        create a tenant; prints its SCIM base URL and token (shown once)
  tenants rotate-token <id>    issue a new token; the old one stops working immediately
  tenants get <id>             show a tenant's settings (never its token)
  tenants update <id> <json>   change the name or settings, e.g.
                               '{"requiredAttributes": {"User": ["userName", "externalId"]}, "defaultGroups": ["<group id>"]}'
                               '{"notificationEmails": ["ops@acme.example"], "notifyWindowSeconds": 900, "logRetentionDays": 30}'
  logs tail <id> [--status failure|success] [-n <lines>] [--follow]
                               print the tenant's provisioning log, oldest first; --follow keeps printing`;

/** Same operations as the admin HTTP API, straight against the database; prints JSON. */
async function run(db: Db, publicUrl: string, args: string[]): Promise<unknown> {
  const [group, command, arg] = args;
  if (group === 'logs' && command === 'tail' && arg) {
    await tail(db, arg, args.slice(3));
    return undefined;
  }
  if (group !== 'tenants' || !command || !arg) throw new UsageError();
  switch (command) {
    case 'create':
      return createTenant(db, args.slice(2).join(' '), publicUrl);
    case 'rotate-token':
      return orNotFound(isUuid(arg) ? await rotateTenantToken(db, arg) : undefined, arg);
    case 'get':
      return orNotFound(isUuid(arg) ? await describeTenant(db, arg, publicUrl) : undefined, arg);
    case 'update': {
      let body: unknown;
      try {
        body = JSON.parse(args.slice(3).join(' '));
      } catch {
        throw new Error(`the settings must be JSON\n${USAGE}`);
      }
      return orNotFound(isUuid(arg) ? await updateTenantSettings(db, arg, body, publicUrl) : undefined, arg);
    }
    default:
      throw new UsageError();
  }
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
    const result = await run(db, config.publicUrl, process.argv.slice(2));
    if (result !== undefined) console.log(JSON.stringify(result, null, 2));
  } finally {
    await db.destroy();
  }
});
