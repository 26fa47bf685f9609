import type { Transporter } from 'nodemailer';
import {
  closeDigest,
  findTenantSettings,
  finishDigest,
  overdueDigests,
  recordDigestAttemptFailed,
  recordNotificationFailure,
  type Db,
  uuidv7,
} from '@scimflow/db';
import { customerLinkUrl, signConsoleToken, type FailureRecord, type JobQueue } from '@scimflow/jobs';
import type { NotifierConfig } from '@scimflow/config';
import type { Logger } from '@scimflow/telemetry';
import { composeDigest } from './digest-mail';

/** Failures listed by name in a digest; the rest are counted. */
const LISTED = 20;
/** How long the console link in a digest works. */
const LINK_TTL_MS = 7 * 24 * 3600_000;
const SEND_ATTEMPTS = 8;

export interface DigestSenderDeps {
  readonly db: Db;
  readonly queue: JobQueue<'notifications'>;
  /** Absent without SMTP_URL: digests are closed and kept, undelivered, for the admin API to show. */
  readonly transport: Transporter | undefined;
  readonly config: NotifierConfig;
  readonly logger: Logger;
}

export class DigestSender {
  /** Digests this process already scheduled: a burst of failures adds one send job, not one per failure. */
  private readonly scheduled = new Set<string>();

  constructor(private readonly deps: DigestSenderDeps) {}

  /** Files a failure in its tenant's open digest and makes sure that digest's send job exists. */
  async record(failure: FailureRecord): Promise<void> {
    const settings = (await findTenantSettings(this.deps.db, [failure.tenantId])).get(failure.tenantId);
    const windowSeconds =
      typeof settings?.notifyWindowSeconds === 'number' ? settings.notifyWindowSeconds : this.deps.config.windowSeconds;
    const digest = await recordNotificationFailure(this.deps.db, failure, uuidv7(), windowSeconds);
    if (this.scheduled.has(digest.digestId)) return;
    await this.schedule(digest.digestId, digest.dueAt.getTime() - Date.now());
    if (this.scheduled.size > 10_000) this.scheduled.clear();
    this.scheduled.add(digest.digestId);
  }

  /** Closes the window and mails the digest; a refused send is retried by BullMQ with backoff. */
  async send(digestId: string): Promise<string> {
    const { db, transport, config, logger } = this.deps;
    const digest = await closeDigest(db, digestId, LISTED);
    if (!digest) return 'already sent';
    const recipients = Array.isArray(digest.settings.notificationEmails)
      ? digest.settings.notificationEmails.filter((e): e is string => typeof e === 'string')
      : [];
    if (recipients.length === 0) {
      await finishDigest(db, digestId, { status: 'skipped' });
      return 'no recipients';
    }
    if (!transport) {
      await recordDigestAttemptFailed(db, digestId, 'not sent: the notifier has no SMTP_URL');
      return 'undelivered';
    }
    const link = config.consoleSecret
      ? customerLinkUrl(
          config.publicUrl,
          signConsoleToken(config.consoleSecret, { kind: 'customer', tenantId: digest.tenantId }, LINK_TTL_MS),
        )
      : undefined;
    const mail = composeDigest(digest, link);
    try {
      const info = await transport.sendMail({
        from: config.from,
        to: recipients,
        subject: mail.subject,
        text: mail.text,
      });
      await finishDigest(db, digestId, { status: 'sent', recipients, messageId: info.messageId });
      logger.info(
        { tenantId: digest.tenantId, digestId, failures: digest.total, recipients: recipients.length },
        'failure digest sent',
      );
      return 'sent';
    } catch (error) {
      await recordDigestAttemptFailed(db, digestId, error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  /** Re-schedules digests whose send job was lost (a crash between commit and enqueue) or gave up. */
  async sweep(): Promise<number> {
    const overdue = await overdueDigests(this.deps.db, 60_000);
    for (const digestId of overdue) {
      const job = await this.deps.queue.getJob(jobIdOf(digestId));
      const state = job ? await job.getState() : 'missing';
      if (state === 'failed' && job) await job.retry();
      else if (state === 'missing' || state === 'completed' || state === 'unknown') {
        if (job) await job.remove();
        await this.schedule(digestId, 0);
      }
    }
    return overdue.length;
  }

  private async schedule(digestId: string, delay: number): Promise<void> {
    // One send job per digest (the job id): a burst of 50,000 failures schedules one mail.
    await this.deps.queue.add(
      'digest.send',
      { digestId },
      {
        jobId: jobIdOf(digestId),
        delay: Math.max(0, delay),
        attempts: SEND_ATTEMPTS,
        backoff: { type: 'exponential', delay: this.deps.config.retryBaseMs },
      },
    );
  }
}

function jobIdOf(digestId: string): string {
  return `digest-${digestId}`;
}
