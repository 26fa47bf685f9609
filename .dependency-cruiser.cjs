// Module boundaries, checked by `npm run boundaries` (part of `npm test`). Each rule names a
// layer and what it may not reach; the README's "Layout" section says why the layers are so.
const lib = (name) => `^libs/${name}/`;
const test = '(\\.spec\\.ts|\\.test\\.ts)$|^tests/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make initialisation order matter and layers meaningless.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'libs-not-services',
      severity: 'error',
      comment: 'Libraries are shared by every service; a service depends on them, never the reverse.',
      from: { path: '^libs/' },
      to: { path: '^services/' },
    },
    {
      name: 'scim-standalone',
      severity: 'error',
      comment: 'libs/scim is the SCIM core (schemas, filters, PATCH): pure, no storage, no queues.',
      from: { path: lib('scim') },
      to: { path: '^libs/', pathNot: lib('scim') },
    },
    {
      name: 'config-and-telemetry-standalone',
      severity: 'error',
      comment: 'libs/config and libs/telemetry are leaves: every other layer may use them.',
      from: { path: '^libs/(config|telemetry)/' },
      to: { path: '^libs/', pathNot: '^libs/$1/' },
    },
    {
      name: 'jobs-not-db',
      severity: 'error',
      comment: "libs/jobs is the contract between producer and consumer; storage is the consumer's business.",
      from: { path: lib('jobs') },
      to: { path: '^libs/', pathNot: `${lib('jobs')}|${lib('scim')}` },
    },
    {
      name: 'services-independent',
      severity: 'error',
      comment: 'Services meet only through Redis and Postgres.',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/', pathNot: '^services/$1/' },
    },
    {
      name: 'worker-commands-not-events',
      severity: 'error',
      comment: 'Applying commands and delivering events meet only through the database (the outbox).',
      from: { path: '^services/worker/src/commands/' },
      to: { path: '^services/worker/src/events/' },
    },
    {
      name: 'worker-events-not-commands',
      severity: 'error',
      comment: 'Applying commands and delivering events meet only through the database (the outbox).',
      from: { path: '^services/worker/src/events/' },
      to: { path: '^services/worker/src/commands/' },
    },
    {
      name: 'sql-only-in-db',
      severity: 'error',
      comment: 'libs/db owns every SQL statement (one owner per aggregate); services call its repositories.',
      from: { path: '^services/', pathNot: test },
      to: { path: 'node_modules/(kysely|pg)/' },
    },
    {
      name: 'production-not-tests',
      severity: 'error',
      comment: 'Shipped code never depends on the test harness.',
      from: { path: '^(libs|services)/', pathNot: test },
      to: { path: `${test}|^tests/` },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'Every import resolves (a typo in a path alias would otherwise pass silently).',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    parser: 'swc',
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
