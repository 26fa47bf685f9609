// Shared by every project's jest.config.js. TypeScript 7 has no JS API, so tests are
// transpiled by swc (types are checked by the `typecheck` target instead).
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j)s$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2024' },
        module: { type: 'commonjs' },
      },
    ],
  },
  // kysely and uuid ship ESM only; Node 24 can require() them but jest's loader can't.
  transformIgnorePatterns: ['/node_modules/(?!(kysely|uuid)/)'],
  moduleNameMapper: {
    '^@scimflow/([a-z-]+)$': path.join(__dirname, 'libs/$1/src/index.ts'),
  },
};
