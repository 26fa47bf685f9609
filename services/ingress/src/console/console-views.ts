import type { ActivityMinute } from '@scimflow/db';
import { html, SafeHtml } from './html';

/** The last hour as bars per minute: writes, and failures in front of them; totals in the legend. */
export function activityChart(minutes: readonly ActivityMinute[], now = Date.now()): SafeHtml {
  const start = Math.floor(now / 60_000) * 60_000 - 59 * 60_000;
  const byMinute = new Map(minutes.map((minute) => [minute.minute.getTime(), minute]));
  const slots = Array.from({ length: 60 }, (_, index) => byMinute.get(start + index * 60_000));
  const peak = Math.max(1, ...slots.map((slot) => slot?.writes ?? 0));
  const total = (pick: (minute: ActivityMinute) => number) => minutes.reduce((sum, minute) => sum + pick(minute), 0);
  const writes = total((minute) => minute.writes);
  const failures = total((minute) => minute.failures);
  const throttled = total((minute) => minute.throttled);
  const height = (value: number) => Math.max(value > 0 ? 2 : 0, Math.round((value / peak) * 100));
  const bar = (slot: ActivityMinute | undefined, index: number) => {
    if (!slot) return '';
    const label = `${new Date(start + index * 60_000).toISOString().slice(11, 16)} UTC: ${slot.writes} writes, ${slot.failures} failures, ${slot.throttled} × 429`;
    return html`<g
      ><title>${label}</title>
      <rect
        class="writes"
        x="${index * 10}"
        y="${100 - height(slot.writes)}"
        width="8"
        height="${height(slot.writes)}" />
      <rect
        class="failures"
        x="${index * 10}"
        y="${100 - height(slot.failures)}"
        width="8"
        height="${height(slot.failures)}"
    /></g>`;
  };
  return html`<figure class="chart" data-writes="${writes}" data-failures="${failures}" data-throttled="${throttled}">
    <svg
      viewBox="0 0 600 100"
      preserveAspectRatio="none"
      role="img"
      aria-label="Writes and failures per minute, last hour"
    >
      ${slots.map((slot, index) => bar(slot, index))}
    </svg>
    <figcaption>
      Last hour: <b class="writes">${writes} writes</b>, <b class="failures">${failures} failures</b>, ${throttled}
      answered 429
    </figcaption>
  </figure>`;
}

export interface LogLine {
  readonly id: string;
  readonly at: string;
  readonly operation: string;
  readonly resourceType: string;
  readonly resourceName: string | null;
  readonly outcome: string;
  readonly httpStatus: number;
  readonly scimType: string | null;
  readonly detail: string | null;
  readonly requestId: string | null;
}

/** The provisioning log as a table, with its status filter and a link to the next page. */
export function logTable(
  lines: readonly LogLine[],
  options: { path: string; status?: string; nextCursor: string | null },
): SafeHtml {
  const link = (query: Record<string, string | undefined>) => {
    const params = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => !!entry[1]));
    return `${options.path}?${params.toString()}#log`;
  };
  return html`<section id="log">
    <h2>Provisioning log</h2>
    <nav class="filters">
      <a href="${link({})}" class="${options.status ? '' : 'active'}">All</a>
      <a href="${link({ status: 'failure' })}" class="${options.status === 'failure' ? 'active' : ''}">Failures</a>
      <a href="${link({ status: 'success' })}" class="${options.status === 'success' ? 'active' : ''}">Successes</a>
    </nav>
    <table class="log">
      <thead>
        <tr>
          <th>When (UTC)</th>
          <th>Operation</th>
          <th>Resource</th>
          <th>Status</th>
          <th>Detail</th>
          <th>Request</th>
        </tr>
      </thead>
      <tbody>
        ${lines.map(
          (line) =>
            html`<tr class="${line.outcome}">
              <td>${line.at.slice(0, 19).replace('T', ' ')}</td>
              <td>${line.operation} ${line.resourceType}</td>
              <td>${line.resourceName ?? ''}</td>
              <td>${line.httpStatus}${line.scimType ? ` ${line.scimType}` : ''}</td>
              <td>${line.detail ?? ''}</td>
              <td><code>${line.requestId ?? ''}</code></td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${lines.length === 0 ? html`<p class="empty">Nothing yet.</p>` : ''}
    ${options.nextCursor ? html`<a class="more" href="${link({ status: options.status, cursor: options.nextCursor })}">Older →</a>` : ''}
  </section>`;
}

/** A value the admin copies once: shown in a box with a copy button. */
export function copyable(label: string, value: string, id: string): SafeHtml {
  return html`<div class="copyable">
    <label for="${id}">${label}</label>
    <input id="${id}" readonly value="${value}" />
    <button type="button" data-copy="${id}">Copy</button>
  </div>`;
}

/** The hidden field every console form carries. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${token}" />`;
}

export const NO_HTML = new SafeHtml('');
