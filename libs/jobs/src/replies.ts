import type { CommandOutcome } from './job-map';

// Replies and stored job results come back from Redis as text our own worker wrote; these check
// the envelope and trust the outcomes inside (validating every resource would cost the hot path).

/** Published by the worker once a `commands.apply` job committed: the outcome of each of its commands. */
export interface ReplyMessage {
  readonly jobId: string;
  readonly outcomes: readonly CommandOutcome[];
}

export function replyChannel(prefix: string, instanceId: string): string {
  return `${prefix}:replies:${instanceId}`;
}

function isOutcomeList(value: unknown): value is CommandOutcome[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'object' && item !== null && 'ok' in item);
}

/** A reply message as published by the worker, or undefined when it isn't one. */
export function parseReply(message: string): ReplyMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || !('jobId' in value) || !('outcomes' in value)) return undefined;
  const { jobId, outcomes } = value;
  return typeof jobId === 'string' && isOutcomeList(outcomes) ? { jobId, outcomes } : undefined;
}

/** A finished job's stored return value (one outcome per command), or undefined when unreadable. */
export function parseStoredOutcomes(returnvalue: string): CommandOutcome[] | undefined {
  try {
    const value: unknown = JSON.parse(returnvalue);
    return isOutcomeList(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
