// One vitest configuration that every package's vitest.config.ts spreads.
/** @type {import('vitest/config').UserProjectConfigExport} */
export default {
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
};
