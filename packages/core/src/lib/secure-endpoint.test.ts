import { describe, expect, it } from 'vitest';
import { ConfigurationError, InsecureEndpointError } from '../errors.js';
import { assertSecureEndpoint, isLoopbackHost } from './secure-endpoint.js';

describe('assertSecureEndpoint', () => {
  it.each(['https://as.example/token', 'http://127.0.0.1:4000/token', 'http://127.1/x', 'http://localhost/x', 'http://[::1]:80/x', 'http://127.255.0.9/'])(
    'accepts %s',
    (url) => {
      expect(assertSecureEndpoint(url, 'token_endpoint')).toBeInstanceOf(URL);
    },
  );

  it.each(['http://as.example/token', 'http://128.0.0.1/', 'http://localhost.evil.example/', 'http://[::2]/', 'ftp://127.0.0.1/', 'http://0.0.0.0/'])(
    'refuses %s',
    (url) => {
      expect(() => assertSecureEndpoint(url, 'token_endpoint')).toThrow(InsecureEndpointError);
    },
  );

  it('keeps query and user info out of the error', () => {
    const error = (() => {
      try {
        assertSecureEndpoint('http://user:pw@as.example/x?secret=1', 'issuer');
      } catch (caught) {
        return caught as InsecureEndpointError;
      }
    })();
    expect(error?.message).not.toContain('secret');
    expect(error?.message).not.toContain('pw');
  });

  it('refuses relative URLs as configuration errors', () => {
    expect(() => assertSecureEndpoint('/token', 'token_endpoint')).toThrow(ConfigurationError);
  });

  it('knows loopback hosts', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('example.com')).toBe(false);
  });
});
