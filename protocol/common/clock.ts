/**
 * Time comes in as a dependency (docs/style.md §1), so pure code and tests control it.
 * @module
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };
