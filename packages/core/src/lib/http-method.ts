/**
 * Methods sent upper-cased whatever case they are given in: the six fetch normalizes, and PATCH
 * (`fetch` leaves `patch` as is, and Node's HTTP parser refuses a lower-case method).
 */
const upperCasedMethods = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);

/**
 * The method as it goes on the wire and into a DPoP proof's `htm`: one of the standard methods
 * upper-cased (`patch` -> `PATCH`), any other method token as given (methods are case-sensitive).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-9.1 (methods are case-sensitive)
 * @see https://fetch.spec.whatwg.org/#concept-method-normalize
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2 (htm)
 */
export function canonicalMethod(method: string): string {
  if (upperCasedMethods.has(method)) return method;
  const upper = method.toUpperCase();
  return upperCasedMethods.has(upper) ? upper : method;
}
