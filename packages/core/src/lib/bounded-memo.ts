/**
 * Remembers the results of a pure function of a string, for at most `capacity` distinct strings
 * (the memory is emptied when full: the callers' inputs are a handful of URLs that repeat, so
 * recency bookkeeping would cost more than the rare recomputation). A throw is not remembered.
 *
 * Used on the request hot path so that the same URL is not parsed again on every request.
 *
 * @example
 * ```ts
 * const originOf = boundedMemo((url) => new URL(url).origin);
 * originOf('https://api.example/accounts?page=2'); // parsed once
 * ```
 */
export function boundedMemo<T>(compute: (key: string) => T, capacity = 256): (key: string) => T {
  const results = new Map<string, T>();
  return (key) => {
    let result = results.get(key);
    if (result === undefined && !results.has(key)) {
      result = compute(key);
      if (results.size >= capacity) results.clear();
      results.set(key, result);
    }
    return result as T;
  };
}
