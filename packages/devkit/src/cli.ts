#!/usr/bin/env node
/**
 * `countersign-dev`: starts the Countersign dev stack (authorization server with its approval
 * inbox, and the demo treasury API) on 127.0.0.1, prints where they are, and stops cleanly on
 * Ctrl-C (SIGINT) or SIGTERM.
 *
 * @example
 * ```sh
 * countersign-dev --agents agents.json
 * ```
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEV_APPROVERS } from './approvals/approver-directory.js';
import { DEV_STACK_FLAGS, devStackUsage } from './cli-flags.js';
import { DevkitError } from './errors.js';
import { startDevStack } from './stack.js';
import type { AgentRegistration, DevStackOptions } from './types.js';


function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new DevkitError('invalid_request', `--${name} must be a non-negative integer`);
  return Number(value);
}

async function readAgents(file: string): Promise<AgentRegistration[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new DevkitError('invalid_request', `cannot read the agents file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DevkitError('invalid_request', `the agents file ${file} is not valid JSON`);
  }
  const agents = Array.isArray(parsed) ? parsed : (parsed as { agents?: unknown } | null)?.agents;
  if (!Array.isArray(agents)) throw new DevkitError('invalid_request', `the agents file ${file} must hold an array of agents (or { "agents": [...] })`);
  return agents as AgentRegistration[];
}

async function main(argv: string[]): Promise<number> {
  const values = parseArgs({
    args: argv,
    options: Object.fromEntries(DEV_STACK_FLAGS.map((flag) => [flag.name, flag.short ? { type: flag.type, short: flag.short } : { type: flag.type }])),
    strict: true,
  }).values as { help?: boolean } & Record<string, string | undefined>;
  if (values.help) {
    process.stdout.write(devStackUsage());
    return 0;
  }
  const port = integer('port', values.port);
  const options: DevStackOptions = {
    port,
    // One port rule with the examples: the treasury API sits next to the authorization server.
    toolApiPort: integer('tool-api-port', values['tool-api-port']) ?? (port === undefined ? undefined : port === 0 ? 0 : port + 1),
    dualControlThreshold: integer('dual-control-threshold', values['dual-control-threshold']),
    pollInterval: integer('poll-interval', values['poll-interval']),
    approvalTtl: integer('approval-ttl', values['approval-ttl']),
    agents: values.agents === undefined ? undefined : await readAgents(values.agents),
  };

  const stack = await startDevStack(options);
  const lines = [
    'countersign-dev is running',
    `  issuer (authorization server)  ${stack.issuer}`,
    `  tool API (treasury)            ${stack.toolApiUrl}`,
    `  approval inbox                 ${stack.inboxUrl}`,
    `  approvers                      ${DEV_APPROVERS.map((approver) => `${approver.id} (${approver.roles.join(', ')})`).join(', ')}`,
    ...(options.agents ?? []).map((agent) => `  agent                          ${agent.clientId} [${agent.scopes.join(' ')}]`),
    `  run an example against it      pnpm demo --issuer ${stack.issuer} --tool-api ${stack.toolApiUrl}`,
    'Press Ctrl-C to stop.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.stdout.write('countersign-dev: stopping\n');
  await stack.close();
  process.stdout.write('countersign-dev: stopped\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const usageMistake = (DevkitError.is(error) && error.code === 'invalid_request') || String((error as { code?: unknown })?.code).startsWith('ERR_PARSE_ARGS');
    const portTaken = DevkitError.is(error) && error.code === 'port_in_use';
    const hint = usageMistake ? 'Run countersign-dev --help for usage.\n' : portTaken ? 'Is a dev stack already running? Otherwise run with --port 0 to pick free ports.\n' : '';
    process.stderr.write(`countersign-dev: ${message}\n${hint}`);
    process.exitCode = 1;
  },
);
