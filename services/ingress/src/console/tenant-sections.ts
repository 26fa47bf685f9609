import { activityByMinute, usersCreatedSince, type Db } from '@scimflow/db';
import { describeTenantActivity, type TenantActivityView } from '../admin/tenant-inventory';
import { queryLog } from '../admin/log-admin';
import { html, type SafeHtml } from './html';
import { activityChart, logTable } from './console-views';

/** Filters of the log section, as the page's query string gave them. */
export interface LogFilters {
  readonly status?: string;
  readonly cursor?: string;
}

export function logFilters(query: Record<string, unknown>): LogFilters {
  const status = query.status === 'failure' || query.status === 'success' ? query.status : undefined;
  const cursor =
    typeof query.cursor === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(query.cursor) ? query.cursor : undefined;
  return { ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) };
}

/**
 * What operator and customer pages both show: the last hour as a chart, the running count of an
 * initial sync (users created in the last hour of how many in all), 429s, and the log.
 */
export async function activitySections(
  db: Db,
  tenantId: string,
  path: string,
  filters: LogFilters,
): Promise<{ section: SafeHtml; summary: TenantActivityView }> {
  const [summary, minutes, recent, log] = await Promise.all([
    describeTenantActivity(db, tenantId),
    activityByMinute(db, tenantId, 60),
    usersCreatedSince(db, tenantId, 60),
    queryLog(db, tenantId, { ...filters, limit: '50' }),
  ]);
  const section = html`<section id="activity">
      <h2>Activity</h2>
      <div class="progress" data-users="${summary.users}" data-recent="${recent}">
        <progress max="${Math.max(summary.users, 1)}" value="${recent}"></progress>
        <span
          ><b>${recent}</b> users provisioned in the last hour; <b>${summary.users}</b> users and
          <b>${summary.groups}</b> groups in all</span
        >
      </div>
      <p>
        Last 24 h: ${summary.last24h.writes} writes, ${summary.last24h.failures} failures, ${summary.last24h.throttled}
        answered 429. Last request: ${summary.lastRequestAt ?? 'never'}.
      </p>
      ${activityChart(minutes)}
    </section>
    ${logTable(log.items, { path, ...(filters.status ? { status: filters.status } : {}), nextCursor: log.nextCursor })}`;
  return { section, summary };
}
