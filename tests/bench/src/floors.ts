// The fixed shape's two floors as processes beside the baseline: shape-floor.ts (one BullMQ job per
// request, nothing else) and group-commit-floor.ts (writes sharing jobs and commits, each event
// posted to the webhook receiver). Each runs as a bare Node would (no heap flags).
import { startScript, type ServiceProcess } from '../../support/processes';

export interface FloorProcesses {
  readonly ingress: ServiceProcess;
  readonly worker: ServiceProcess;
  readonly url: string;
}

function startFloor(script: string, env: Record<string, string>, port: number): FloorProcesses {
  const ingress = startScript(script, { ...env, FLOOR_ROLE: 'ingress', PORT: String(port) }, { nodeArgs: [] });
  const worker = startScript(script, { ...env, FLOOR_ROLE: 'worker' }, { nodeArgs: [] });
  return { ingress, worker, url: `http://127.0.0.1:${port}` };
}

export function startFloors(options: {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly queuePrefix: string;
  readonly webhookUrl: string;
  /** The one-job floor listens here, the group-commit floor on the next port. */
  readonly port: number;
}): { readonly floor: FloorProcesses; readonly groupFloor: FloorProcesses } {
  const env = { DATABASE_URL: options.databaseUrl, REDIS_URL: options.redisUrl };
  return {
    floor: startFloor('bench-floor', { ...env, QUEUE_PREFIX: `${options.queuePrefix}-floor` }, options.port),
    groupFloor: startFloor(
      'bench-group-floor',
      { ...env, QUEUE_PREFIX: `${options.queuePrefix}-group-floor`, FLOOR_WEBHOOK: options.webhookUrl },
      options.port + 1,
    ),
  };
}
