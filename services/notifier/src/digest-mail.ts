import type { DigestContent } from '@scimflow/db';
import type { FailureRecord } from '@scimflow/jobs';

export interface DigestMail {
  readonly subject: string;
  readonly text: string;
}

const time = (date: Date) => `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;

function failureLine(failure: FailureRecord): string {
  const what = [failure.operation, failure.resourceType, failure.resourceName ?? failure.resourceId]
    .filter((part) => part !== undefined)
    .join(' ');
  const kind = failure.scimType === undefined ? `${failure.status}` : `${failure.status} ${failure.scimType}`;
  return `  - ${failure.at.slice(11, 19)} ${what}: ${kind}${failure.detail === undefined ? '' : ` (${failure.detail})`}`;
}

/**
 * The digest for one tenant and window: how many writes failed and of which kind, the first of
 * them by name and reason, and where to see all of them. Plain text: the names in it are chosen
 * by identity-provider admins, and text can't carry markup from them.
 */
export function composeDigest(digest: DigestContent, publicUrl: string): DigestMail {
  const plural = digest.total === 1 ? 'request' : 'requests';
  const since = digest.windowStart.toISOString();
  const until = new Date(digest.windowEnd.getTime() + 1000).toISOString();
  const query = new URLSearchParams({ status: 'failure', since, until });
  const more = digest.total - digest.first.length;
  const lines = [
    `scimflow could not apply ${digest.total} provisioning ${plural} for tenant "${digest.tenantName}" (${digest.tenantId})`,
    `between ${time(digest.windowStart)} and ${time(digest.windowEnd)}.`,
    '',
    'By kind:',
    ...digest.byKind.map((kind) => `  ${kind.count} x ${kind.status}${kind.scimType ? ` ${kind.scimType}` : ''}`),
    '',
    digest.total > digest.first.length ? `The first ${digest.first.length}:` : 'Failures:',
    ...digest.first.map(failureLine),
    ...(more > 0 ? [`  ... and ${more} more`] : []),
    '',
    'Every request, with its trace id, is in the provisioning log:',
    `  GET ${publicUrl}/admin/tenants/${digest.tenantId}/logs?${query.toString()}`,
    `  npm run admin -- logs tail ${digest.tenantId} --status failure`,
    '',
    `You get at most one such mail per window. Change the recipients with PATCH ${publicUrl}/admin/tenants/${digest.tenantId} {"notificationEmails": [...]}.`,
  ];
  return {
    subject: `[scimflow] ${digest.total} provisioning ${digest.total === 1 ? 'failure' : 'failures'} for ${digest.tenantName}`,
    text: `${lines.join('\n')}\n`,
  };
}
