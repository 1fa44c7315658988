/**
 * Where the environment puts the engine's `leaks` object on the global object of the test files
 * it runs. The test files' copy of this package (Jest gives every test file a module registry of
 * its own) finds it there: both copies then act on the one window the environment has open.
 */
export const LEAKS_KEY = Symbol.for('@leakproof/jest leaks')
