import type { ApprovalStore } from './tool-call-ledger.js';

const flights = new WeakMap<ApprovalStore, Map<string, Promise<unknown>>>();

/**
 * Runs `task` once per `key` and `store` at a time in this process: callers arriving while it runs
 * share its promise. Keyed by store so that every guard (and every agent) using the same store
 * shares one view of a tool call.
 */
export function singleFlight<T>(store: ApprovalStore, key: string, task: () => Promise<T>): Promise<T> {
  let running = flights.get(store);
  if (running === undefined) {
    running = new Map();
    flights.set(store, running);
  }
  const existing = running.get(key);
  if (existing !== undefined) return existing as Promise<T>;
  const flight = task().finally(() => running.delete(key));
  running.set(key, flight);
  return flight;
}
