/**
 * Runs bench/support/validating-api.ts in its own process: prints the API's origin on one line, and
 * stops when its parent closes stdin or sends SIGTERM. Started by the request-rate benchmarks so
 * the API's CPU time is billed to neither contender.
 */
import { startValidatingApi } from './validating-api.js';

const api = await startValidatingApi();
process.stdout.write(`${api.origin}\n`);
const stop = () => void api.close().then(() => process.exit(0));
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
