export * from './job-map';
export * from './command-batcher';
export * from './redis-connection';
export * from './replies';
export * from './member-input';
export * from './scim-events';
export * from './queues';
export * from './webhook-target';
