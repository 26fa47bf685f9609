import type { JobRequest, JobsOf } from './queues';

// Type-level checks, enforced by `npm run typecheck`: each queue carries exactly its own job
// names, and a job request pairs a name with that job's payload.
type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type NotifierJobs = Assert<Equal<JobsOf<'notifications'>, 'failures.recorded' | 'digest.send' | 'digest.sweep'>>;
export type CommandJobs = Assert<Equal<JobsOf<'commands'>, 'commands.apply'>>;
export type NoForeignJob = Assert<Equal<Extract<JobRequest<'webhooks'>, { name: 'digest.send' }>, never>>;
export type PayloadFollowsName = Assert<
  Equal<Extract<JobRequest<'notifications'>, { name: 'digest.send' }>['data'], { readonly digestId: string }>
>;
