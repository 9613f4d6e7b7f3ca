export { canonicalSha256 } from './lib/canonical-json.js';
