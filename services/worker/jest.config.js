module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'worker',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  globalSetup: '<rootDir>/../../tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/../../tests/support/global-teardown.ts',
  testTimeout: 30_000,
};
