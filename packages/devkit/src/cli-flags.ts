/**
 * The `countersign-dev` flags: one table gives its parser, its `--help` text and the list the
 * devkit README must show (a test compares them).
 */

/** One `countersign-dev` flag. */
export interface DevStackFlag {
  /** Long name, without the dashes. */
  name: string;
  type: 'string' | 'boolean';
  /** Placeholder after a string flag, e.g. `<n>`. */
  value?: string;
  short?: string;
  description: string;
}

/** Every flag `countersign-dev` takes, in `--help` order. */
export const DEV_STACK_FLAGS: readonly DevStackFlag[] = Object.freeze([
  { name: 'port', type: 'string', value: '<n>', description: 'authorization server and inbox port (default 4000; 0 = any free port)' },
  { name: 'tool-api-port', type: 'string', value: '<n>', description: 'demo treasury API port (default --port + 1, so 4001; any free port when --port is 0)' },
  { name: 'agents', type: 'string', value: '<file>', description: 'JSON file of agents to register: [{ "clientId", "jwks", "scopes" }]' },
  { name: 'dual-control-threshold', type: 'string', value: '<n>', description: 'payouts above this amount need two approvers (default 1000)' },
  { name: 'poll-interval', type: 'string', value: '<s>', description: 'CIBA poll interval in seconds (default 1)' },
  { name: 'approval-ttl', type: 'string', value: '<s>', description: 'lifetime of an approval request in seconds (default 300)' },
  { name: 'help', type: 'boolean', short: 'h', description: 'show this help' },
]);

/** How a flag reads in usage: `-h, --help`, `--port <n>`. */
export function flagLabel(flag: DevStackFlag): string {
  return `${flag.short ? `-${flag.short}, ` : ''}--${flag.name}${flag.value ? ` ${flag.value}` : ''}`;
}

/** The `countersign-dev --help` text. */
export function devStackUsage(): string {
  const width = Math.max(...DEV_STACK_FLAGS.map((flag) => flagLabel(flag).length)) + 2;
  return `Usage: countersign-dev [options]

Starts a local authorization server (OpenID CIBA, DPoP, private_key_jwt), its approval inbox and a
demo treasury API, all on 127.0.0.1. Stop with Ctrl-C. Examples run against it with
--issuer <its issuer> --tool-api <its tool API>.

Options:
${DEV_STACK_FLAGS.map((flag) => `  ${flagLabel(flag).padEnd(width)}${flag.description}`).join('\n')}
`;
}
