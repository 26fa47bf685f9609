// Lets `npx jest` run every project at once; Nx runs each project's own config.
module.exports = {
  projects: [
    '<rootDir>/libs/*/jest.config.js',
    '<rootDir>/services/*/jest.config.js',
    '<rootDir>/tests/integration/jest.config.js',
    '<rootDir>/tests/conformance/jest.config.js',
  ],
};
