/** Jest: TypeScript through swc (type checking is `make typecheck`), tests beside the code and under test/. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/build/', '/examples/'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/build/', '<rootDir>/examples/.*/node_modules/'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  testTimeout: 120000,
  // Tests share one local grid per run when they need it (test/helpers/grid.ts); 2 workers fit a 2-core CI machine.
  maxWorkers: 2,
  // One local chain per run (test/global-setup.ts); tests reach it through test/helpers/chain.ts.
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
};
