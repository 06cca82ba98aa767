/**
 * The fraud-detection demo (`npm start`), for programs that run it: the future
 * `statefn demo` command calls {@link runDemo}.
 */
export { runDemo } from './run-demo.js';
export type { DemoResult } from './run-demo.js';
export { DEFAULT_EVENTS, DEMO_USAGE, parseDemoArgs, resolveDemoOptions } from './demo-options.js';
export type { DemoCommand, DemoOptions } from './demo-options.js';
export { createFraudApp } from './app.js';
export { computeExpected } from './model.js';
export type { ExpectedOutcome } from './model.js';
export { verifyRun } from './verify.js';
export type { Check, ObservedOutput, Verification } from './verify.js';
