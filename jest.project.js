// Builds a project's jest config: `require('../../jest.project.js')(__dirname, 'db', { services: true })`.
const path = require('node:path');
const preset = require('./jest.preset.js');

/** Suites that talk to real Postgres and Redis get the shared set-up: template database, services. */
const services = {
  globalSetup: path.join(__dirname, 'tests/support/global-setup.ts'),
  globalTeardown: path.join(__dirname, 'tests/support/global-teardown.ts'),
  testTimeout: 30_000,
};

module.exports = function project(rootDir, displayName, options = {}) {
  const { services: needsServices = false, testMatch = ['<rootDir>/src/**/*.spec.ts'], ...rest } = options;
  return { ...preset, displayName, rootDir, testMatch, ...(needsServices ? services : {}), ...rest };
};
