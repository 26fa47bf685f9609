import type { CommandOutcome } from './job-map';

/** Published by the worker once a `commands.apply` job committed: the outcome of each of its commands. */
export interface ReplyMessage {
  readonly jobId: string;
  readonly outcomes: readonly CommandOutcome[];
}

export function replyChannel(prefix: string, instanceId: string): string {
  return `${prefix}:replies:${instanceId}`;
}
