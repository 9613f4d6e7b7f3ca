/**
 * Where an example's authorization server, treasury API and approval inbox come from, with one
 * port rule for every example:
 *
 * - by default the example starts its own dev stack in-process on `--port` (default 4000: the
 *   authorization server and its inbox at http://127.0.0.1:4000/inbox) and `--port`+1 (the
 *   treasury API), the same ports `pnpm dev-stack` uses; `--port 0` picks free ports;
 * - with `--issuer` (and optionally `--tool-api`) it uses a dev stack that is already running
 *   (`pnpm dev-stack`), registering its agent and deciding approvals through that stack's HTTP API.
 *
 * A busy port ends in one line that suggests `--port 0` or `--issuer`.
 */
import { DevkitError, startDevStack, type AgentRegistration, type ApprovalView, type DevApprover } from '@countersign/devkit';
import { UsageError, UserFacingError, type FlagTable } from './cli.js';

/** `--port`, `--issuer`, `--tool-api`: the flags every example takes to find its stack. */
export const stackFlags = {
  port: {
    type: 'string',
    value: '<n>',
    default: '4000',
    description: 'start the dev stack here: authorization server and inbox on <n>, treasury API on <n>+1; 0 picks free ports',
  },
  issuer: { type: 'string', value: '<url>', description: 'use the dev stack already running at this issuer (pnpm dev-stack) instead of starting one' },
  'tool-api': { type: 'string', value: '<url>', description: "that running stack's treasury API (default: the issuer's port + 1)" },
} as const satisfies FlagTable;

/** A refused approve/deny: `code` as the devkit spells it (`unknown_approver`, `not_allowed`, `already_approved`, ...). */
export class ApprovalRefused extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ApprovalRefused';
    this.code = code;
  }
}

/** The dev stack an example runs against, in-process or already running. */
export interface ExampleStack {
  readonly issuer: string;
  readonly toolApiUrl: string;
  readonly inboxUrl: string;
  /** `true` when the example started it (and will stop it). */
  readonly inProcess: boolean;
  registerAgent(registration: AgentRegistration): Promise<void>;
  approvers(): Promise<DevApprover[]>;
  /** The pending request for this exact call (same arguments hash), if there is one. */
  findPending(argsSha256: string): Promise<ApprovalView | undefined>;
  get(id: string): Promise<ApprovalView>;
  /** Throws {@link ApprovalRefused} when the stack refuses. */
  approve(id: string, approver: string): Promise<ApprovalView>;
  /** Throws {@link ApprovalRefused} when the stack refuses. */
  deny(id: string, approver: string, reason?: string): Promise<ApprovalView>;
  close(): Promise<void>;
}

/** What {@link openExampleStack} reads from the parsed flags. */
export interface StackFlagValues {
  port: string;
  issuer: string | undefined;
  'tool-api': string | undefined;
}

/** Starts the example's dev stack, or connects to a running one when `--issuer` is given. */
export async function openExampleStack(flags: StackFlagValues): Promise<ExampleStack> {
  if (flags.issuer !== undefined) return connectToRunningStack(flags.issuer, flags['tool-api']);
  if (flags['tool-api'] !== undefined) throw new UsageError('--tool-api needs --issuer', 'give both to use a running dev stack, or neither to start one here');
  const port = parsePort(flags.port);
  let stack: Awaited<ReturnType<typeof startDevStack>>;
  try {
    stack = await startDevStack({ port, toolApiPort: port === 0 ? 0 : port + 1 });
  } catch (error) {
    if (DevkitError.is(error) && error.code === 'port_in_use') {
      const issuer = `http://127.0.0.1:${port}`;
      throw new UserFacingError(
        error.message,
        `run with --port 0 to pick free ports, or, if a dev stack already runs there, with --issuer ${issuer}`,
        { cause: error },
      );
    }
    throw error;
  }
  const refusing = async <T>(action: () => Promise<T>): Promise<T> => {
    try {
      return await action();
    } catch (error) {
      if (DevkitError.is(error)) throw new ApprovalRefused(error.code, error.message);
      throw error;
    }
  };
  return {
    issuer: stack.issuer,
    toolApiUrl: stack.toolApiUrl,
    inboxUrl: stack.inboxUrl,
    inProcess: true,
    registerAgent: async (registration) => stack.registerAgent(registration),
    approvers: async () => stack.approvals.approvers(),
    findPending: async (argsSha256) => stack.approvals.list().find((view) => view.status === 'pending' && view.argsSha256 === argsSha256),
    get: async (id) => stack.approvals.get(id),
    approve: (id, approver) => refusing(() => stack.approvals.approve(id, approver)),
    deny: (id, approver, reason) => refusing(() => stack.approvals.deny(id, approver, reason)),
    close: () => stack.close(),
  };
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65534)) throw new UsageError(`--port must be a port number from 0 to 65534, got "${text}"`, 'try --port 0 to pick free ports');
  return port;
}

function parseLoopbackUrl(flag: string, text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--${flag} must be a URL, got "${text}"`, `e.g. --${flag} http://127.0.0.1:4000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--${flag} must be an http(s) URL, got "${text}"`);
  return url;
}

/** The stack `pnpm dev-stack` runs, driven through its inbox API and agent registration route. */
async function connectToRunningStack(issuerText: string, toolApiText: string | undefined): Promise<ExampleStack> {
  const issuerUrl = parseLoopbackUrl('issuer', issuerText);
  const issuer = issuerUrl.href.replace(/\/+$/, '');
  const toolApiUrl = (
    toolApiText === undefined
      ? `${issuerUrl.protocol}//${issuerUrl.hostname}:${Number(issuerUrl.port || (issuerUrl.protocol === 'https:' ? 443 : 80)) + 1}`
      : parseLoopbackUrl('tool-api', toolApiText).href
  ).replace(/\/+$/, '');
  const api = `${issuer}/inbox/api`;

  async function call<T>(path: string, init?: { method: 'POST'; body: unknown }): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${api}${path}`, {
        method: init?.method ?? 'GET',
        headers: init ? { 'content-type': 'application/json', 'x-countersign-inbox': '1' } : {},
        body: init ? JSON.stringify(init.body) : undefined,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new UserFacingError(`no dev stack answers at ${issuer}`, 'start one with pnpm dev-stack, or leave out --issuer to start one in this process', { cause: error });
    }
    const payload = (await response.json().catch(() => undefined)) as { error?: string; error_description?: string } | undefined;
    if (!response.ok) {
      if (response.status === 404 && path === '/agents') {
        throw new UserFacingError(`the server at ${issuer} does not take agent registrations`, 'is it a Countersign dev stack (pnpm dev-stack)?');
      }
      throw new ApprovalRefused(payload?.error ?? 'server_error', payload?.error_description ?? `the dev stack answered HTTP ${response.status}`);
    }
    return payload as T;
  }

  await call<{ approvers: DevApprover[] }>('/approvers');
  try {
    await fetch(`${toolApiUrl}/accounts`, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new UserFacingError(`no treasury API answers at ${toolApiUrl}`, 'pass --tool-api with the "tool API" address pnpm dev-stack printed', { cause: error });
  }
  return {
    issuer,
    toolApiUrl,
    inboxUrl: `${issuer}/inbox`,
    inProcess: false,
    // An example run may bring a fresh key for the same client_id: replacing it is what it means.
    registerAgent: async (registration) => void (await call('/agents', { method: 'POST', body: { ...registration, rotate: true } })),
    approvers: async () => (await call<{ approvers: DevApprover[] }>('/approvers')).approvers,
    findPending: async (argsSha256) =>
      (await call<{ approvals: ApprovalView[] }>('/approvals')).approvals.find((view) => view.status === 'pending' && view.argsSha256 === argsSha256),
    get: async (id) => {
      const found = (await call<{ approvals: ApprovalView[] }>('/approvals')).approvals.find((view) => view.id === id);
      if (found === undefined) throw new ApprovalRefused('not_found', 'no approval request with this id');
      return found;
    },
    approve: async (id, approver) => (await call<{ approval: ApprovalView }>(`/approvals/${encodeURIComponent(id)}/approve`, { method: 'POST', body: { approver } })).approval,
    deny: async (id, approver, reason) =>
      (await call<{ approval: ApprovalView }>(`/approvals/${encodeURIComponent(id)}/deny`, { method: 'POST', body: { approver, reason } })).approval,
    close: async () => undefined,
  };
}
