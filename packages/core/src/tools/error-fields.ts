/** `{ code, message }` of an error for the audit trail. */
export function errorFields(error: unknown): { code: string; message: string } {
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && error instanceof Error) {
    return { code: (error as Error & { code: string }).code, message: error.message };
  }
  return error instanceof Error ? { code: error.name, message: error.message } : { code: 'ERR_UNKNOWN', message: 'non-error value thrown' };
}

/** `error` as an Error (a thrown non-error is wrapped). */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error('non-error value thrown', { cause: error });
}
