import {
  Queue,
  Worker,
  type Job,
  type JobsOptions,
  type QueueOptions,
  type RepeatOptions,
  UnrecoverableError,
  type WorkerOptions,
} from 'bullmq';
import { QueueName, type JobMap, type JobName } from './job-map';

/**
 * The queue that carries each job. `satisfies` makes the compiler check that every job name has
 * exactly one queue; producers and consumers below are typed from this table.
 */
export const QUEUE_OF = {
  'commands.apply': QueueName.commands,
  'maintenance.prune-applied-commands': QueueName.maintenance,
  'maintenance.prune-logs': QueueName.maintenance,
  'maintenance.sweep-webhooks': QueueName.maintenance,
  'webhook.retry': QueueName.webhooks,
  'failures.recorded': QueueName.notifications,
  'digest.send': QueueName.notifications,
  'digest.sweep': QueueName.notifications,
} as const satisfies Record<JobName, QueueName>;

/** The job names a queue carries. */
export type JobsOf<Q extends QueueName> = { [N in JobName]: (typeof QUEUE_OF)[N] extends Q ? N : never }[JobName];

/** A job to add: a name its queue carries, with that job's payload. */
export type JobRequest<Q extends QueueName> = {
  [N in JobsOf<Q>]: { readonly name: N; readonly data: JobMap[N]; readonly opts?: JobsOptions };
}[JobsOf<Q>];

const queueByJob: ReadonlyMap<string, QueueName> = new Map(Object.entries(QUEUE_OF));

/** Whether a job name read back from Redis is one this queue carries. */
export function isJobOf<Q extends QueueName>(queue: Q, name: string): name is JobsOf<Q> {
  return queueByJob.get(name) === queue;
}

/**
 * A job's payload, when the job is the one named. Redis hands back what a typed producer stored
 * under that name (JobQueue.add), so this is the one place a payload is taken on trust.
 */
export function payloadOf<N extends JobName>(job: { readonly name: string; readonly data: unknown }, name: N) {
  // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- written by JobQueue.add under this name
  return job.name === name ? (job.data as JobMap[N]) : undefined;
}

/** A BullMQ queue that accepts only its own job names, each with its own payload type. */
export class JobQueue<Q extends QueueName> {
  private readonly queue: Queue;
  private errorListener: (error: Error) => void = () => undefined;

  constructor(
    readonly name: Q,
    options: QueueOptions,
  ) {
    this.queue = new Queue(name, options);
    // Always listened to: a BullMQ queue nobody listens to prints every connection error to stderr.
    this.queue.on('error', (error) => this.errorListener(error));
  }

  add<N extends JobsOf<Q>>(name: N, data: JobMap[N], opts?: JobsOptions): Promise<Job> {
    return this.queue.add(name, data, opts);
  }

  addBulk(jobs: readonly JobRequest<Q>[]): Promise<Job[]> {
    return this.queue.addBulk(
      jobs.map((job) => ({ name: job.name, data: job.data, ...(job.opts ? { opts: job.opts } : {}) })),
    );
  }

  /** Job schedulers are upserts: every process may declare them, Redis keeps one of each. */
  async upsertJobScheduler<N extends JobsOf<Q>>(id: string, repeat: RepeatOptions, name: N, data: JobMap[N]) {
    await this.queue.upsertJobScheduler(id, repeat, { name, data });
  }

  getJob(jobId: string): Promise<Job | undefined> {
    return this.queue.getJob(jobId);
  }

  remove(jobId: string): Promise<number> {
    return this.queue.remove(jobId);
  }

  /** Jobs by state (the queue depth an operator watches). */
  jobCounts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
  }

  /** The Redis key of a job's hash (where BullMQ keeps its return value). */
  toKey(jobId: string): string {
    return this.queue.toKey(jobId);
  }

  /** The BullMQ queue itself, for Bull Board only (it reads jobs; it never adds them). */
  forDashboard(): Queue {
    return this.queue;
  }

  onError(listener: (error: Error) => void): void {
    this.errorListener = listener;
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** One handler per job name of a queue: the compiler rejects a missing or an extra one. */
export type JobHandlers<Q extends QueueName, R = unknown> = {
  readonly [N in JobsOf<Q>]: (data: JobMap[N], job: Job) => Promise<R>;
};

/** A BullMQ worker for one queue that routes each job to its handler; an unknown name fails for good. */
export function createJobWorker<Q extends QueueName, R = unknown>(
  queue: Q,
  handlers: JobHandlers<Q, R>,
  options: WorkerOptions,
): Worker<unknown, R> {
  return new Worker<unknown, R>(queue, (job) => runHandler(queue, handlers, job), options);
}

async function runHandler<Q extends QueueName, R>(queue: Q, handlers: JobHandlers<Q, R>, job: Job): Promise<R> {
  // UnrecoverableError: BullMQ doesn't retry a job no handler can ever take.
  if (!isJobOf(queue, job.name)) throw new UnrecoverableError(`The ${queue} queue has no job '${job.name}'`);
  return dispatch(handlers, job.name, job);
}

// N is what ties the handler to its payload type; the rule can't see that it is used in the body.
// oxlint-disable-next-line typescript/no-unnecessary-type-parameters
function dispatch<Q extends QueueName, R, N extends JobsOf<Q>>(
  handlers: JobHandlers<Q, R>,
  name: N,
  job: Job,
): Promise<R> {
  const data = payloadOf(job, name);
  if (data === undefined) throw new Error(`job ${job.id ?? '?'} has no payload`);
  return handlers[name](data, job);
}
