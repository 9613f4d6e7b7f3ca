/**
 * The CIBA grant type, used to poll the token endpoint for a decision.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.10.1
 */
export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';
