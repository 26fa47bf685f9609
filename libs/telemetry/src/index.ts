export * from './logger';
export * from './shutdown-telemetry';
export * from './drain-on-signal';
export * from './trace-context';
export * from './readiness';
export * from './health-server';
export * from './outage-log';
export * from './metrics';
