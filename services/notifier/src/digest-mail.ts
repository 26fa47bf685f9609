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
export function composeDigest(digest: DigestContent, consoleLink: string | undefined): DigestMail {
  const plural = digest.total === 1 ? 'request' : 'requests';
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
    // Customer admins get their own page, never the operators' tools (issue 11).
    ...(consoleLink
      ? [
          'Every request, with its request id, is in your provisioning log, where you can also change who',
          'gets these mails (the link works for 7 days):',
          `  ${consoleLink}`,
        ]
      : [
          'Every request, with its request id, is in your provisioning log; ask your service provider for',
          'the link to your Identity Provider page in the scimflow console.',
        ]),
    '',
    'You get at most one such mail per window.',
  ];
  return {
    subject: `[scimflow] ${digest.total} provisioning ${digest.total === 1 ? 'failure' : 'failures'} for ${digest.tenantName}`,
    text: `${lines.join('\n')}\n`,
  };
}
