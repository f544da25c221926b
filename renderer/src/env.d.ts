/** Set by renderer/vite.config.ts: true only in builds made for tests and benches. */
declare const __GROVE_TEST_HOOKS__: boolean;
