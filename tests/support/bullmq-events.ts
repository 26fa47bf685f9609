import type { Redis } from 'ioredis';

/**
 * Reads a BullMQ queue's event stream (`<prefix>:<queue>:events`): how often each job id was
 * really added, and how many adds BullMQ dropped as duplicates of a job id it already held.
 */
export async function addedJobIds(
  redis: Redis,
  prefix: string,
  queue: string,
): Promise<{ added: Map<string, number>; duplicated: number }> {
  const added = new Map<string, number>();
  let duplicated = 0;
  for (const [, fields] of await redis.xrange(`${prefix}:${queue}:events`, '-', '+')) {
    const field = (name: string) => fields[fields.indexOf(name) + 1];
    const jobId = String(field('jobId'));
    if (field('event') === 'added') added.set(jobId, (added.get(jobId) ?? 0) + 1);
    if (field('event') === 'duplicated') duplicated++;
  }
  return { added, duplicated };
}
