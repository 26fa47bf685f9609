import type { CommandOutcome, RedisClient, ReplyMessage } from '@scimflow/jobs';
import type { Logger } from '@scimflow/telemetry';

/**
 * Tells the waiting ingress instance what happened to a job's commands. A lost message only
 * delays the answer: the ingress falls back to the job's stored return value.
 */
export async function publishReply(
  redis: RedisClient,
  channel: string,
  jobId: string,
  outcomes: readonly CommandOutcome[],
  logger: Logger,
): Promise<void> {
  try {
    await redis.publish(channel, JSON.stringify({ jobId, outcomes } satisfies ReplyMessage));
  } catch (error) {
    logger.warn({ err: error, jobId }, 'could not publish a reply; the ingress will read the stored job result');
  }
}
