module.exports = require('../../jest.project.js')(__dirname, 'integration', {
  services: true,
  // Also builds dist/ once, for the suites that run the services as processes.
  globalSetup: '<rootDir>/global-setup.ts',
  testMatch: ['<rootDir>/src/**/*.test.ts'],
  testTimeout: 60_000,
  // Two cores: more workers only add contention between suites that each run a full stack.
  maxWorkers: 2,
});
