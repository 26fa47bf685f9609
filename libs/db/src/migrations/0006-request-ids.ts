import { sql, type Kysely } from 'kysely';

// Frozen: migrations describe the schema as it was, so they never import today's Database type.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Every log line names the HTTP request it answers (its X-Request-Id; the trace id when tracing
  // is on), so a line can be matched to the access log and to what the client saw (issue 10).
  await sql`alter table provisioning_log add column request_id text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table provisioning_log drop column request_id`.execute(db);
}
