import { defineConfig } from 'vitest/config';

// Projects, by what a test needs to run:
// - unit: nothing but this process;
// - fuzz: property-based tests, bounded runs;
// - servers: real servers the test starts itself (PostgreSQL, the built bot);
// - rocketchat: the Rocket.Chat protocol double (no real server can run here);
// - mattermost: the real Mattermost server on PostgreSQL, started once by its global setup;
// - stack: the real test stack (two kube-apiservers, Alertmanager, Prometheus), started once by the global setup;
// - stack-mattermost: both of the last two, for what needs Alertmanager and a chat server with history.
export default defineConfig({
  test: {
    // A run, a project or a file filter that finds no test file is a failure, not a pass.
    passWithNoTests: false,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'fuzz', include: ['test/fuzz/**/*.test.ts'], testTimeout: 60_000 } },
      {
        test: {
          name: 'servers',
          include: ['test/integration/store/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Rocket.Chat cannot run here; its protocol double starts inside each test file.
        test: {
          name: 'rocketchat',
          include: [
            'test/integration/rocketchat/**/*.test.ts',
            'test/integration/incidents/rocketchat.test.ts',
          ],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The real Mattermost 11.4 server on a fresh PostgreSQL, built once and started by its setup.
        test: {
          name: 'mattermost',
          include: [
            'test/integration/mattermost/**/*.test.ts',
            'test/integration/incidents/mattermost.test.ts',
            // Two replicas on a PostgreSQL the suite starts; no Kubernetes needed (claims in the store).
            'test/integration/ha/**/*.test.ts',
          ],
          globalSetup: ['test/stack/mattermost/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'stack',
          include: ['test/integration/**/*.test.ts', 'test/faults/**/*.test.ts'],
          exclude: [
            'test/integration/store/**',
            'test/integration/rocketchat/**',
            'test/integration/mattermost/**',
            'test/integration/incidents/mattermost.test.ts',
            'test/integration/incidents/rocketchat.test.ts',
            'test/integration/ha/**',
            'test/integration/alerts/kill-restart.test.ts',
          ],
          globalSetup: ['test/stack/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
      {
        // Both: the stack's real Alertmanager sends, the real Mattermost server shows the posts.
        test: {
          name: 'stack-mattermost',
          include: ['test/integration/alerts/kill-restart.test.ts'],
          globalSetup: ['test/stack/global-setup.ts', 'test/stack/mattermost/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
