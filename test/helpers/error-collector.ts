/**
 * Collects every error the integration tests provoke, so one test can assert that no message or
 * cause (recursively) carries a secret.
 */
const collected: unknown[] = [];
const secrets = new Set<string>();

/** Records `error` and returns it. */
export function collectError<T>(error: T): T {
  collected.push(error);
  return error;
}

/** Awaits `promise`, expecting a rejection; records and returns the error. */
export async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    collected.push(error);
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** Remembers a secret (a token, an assertion, key material) that no error may contain. */
export function rememberSecret(value: string | undefined): void {
  if (value && value.length >= 8) secrets.add(value);
}

export function collectedErrors(): readonly unknown[] {
  return collected;
}

export function knownSecrets(): readonly string[] {
  return [...secrets];
}

/** Every message, stack, code and string member of `error` and its causes (and AggregateError members). */
export function textsOf(error: unknown, seen = new Set<unknown>()): string[] {
  if (error === null || error === undefined || seen.has(error)) return [];
  seen.add(error);
  if (typeof error !== 'object') return [String(error)];
  const texts: string[] = [];
  for (const [key, value] of Object.entries(error)) {
    if (typeof value === 'string') texts.push(value);
    else if (key !== 'cause' && typeof value === 'object' && value !== null) texts.push(JSON.stringify(value) ?? '');
  }
  if (error instanceof Error) texts.push(error.message, error.stack ?? '');
  texts.push(...textsOf((error as { cause?: unknown }).cause, seen));
  if (error instanceof AggregateError) for (const inner of error.errors) texts.push(...textsOf(inner, seen));
  return texts;
}
