import type { ZodType, infer as ZodInfer } from 'zod';
import type { CountersignError } from '../errors.js';
import type { ApprovalProgress, ApproverRecord } from '../approvals/types.js';
import type { AgentFetchInit } from '../types.js';
import type { AuthorizationDetail } from '../oauth/types.js';
import type { AccessToken } from '../tokens/types.js';

/**
 * How much harm a tool can do. `read` and `write` run with the agent's routine token;
 * `irreversible` waits for a human to approve the exact call.
 */
export type RiskTier = 'read' | 'write' | 'irreversible';

/** Who must approve an irreversible tool call, and what they are shown. */
export interface ApprovalPolicy<Args> {
  /** The approver's login hint, or a function of the arguments that picks one. */
  approver: string | ((args: Args) => string);
  /**
   * `dual` asks for two distinct approvers. The authorization server's own policy decides what it
   * requires; an agent can ask for more, never for less.
   */
  mode?: 'single' | 'dual' | undefined;
  /** The binding message shown to the approver (CIBA `binding_message`). */
  describe(args: Args): string;
  /** Extra members of the `agent_action` authorization details (for example amount, currency). */
  details?(args: Args): Record<string, unknown>;
  /** Lifetime of the approval request in seconds (`requested_expiry`). */
  requestedExpiry?: number | undefined;
}

/** A fetch bound to one token: a DPoP proof is made for every request. */
export type BoundFetch = (url: string | URL, init?: Omit<AgentFetchInit, 'token' | 'resource' | 'scope'>) => Promise<Response>;

/** What a guarded tool's function receives besides its arguments. */
export interface ToolContext {
  /** fetch bound to the token this call is allowed to use: the action token for irreversible tools. */
  fetch: BoundFetch;
  /** That token's details (never log `accessToken`). */
  token: AccessToken;
  /** SHA-256 (base64url) of the RFC 8785 canonical arguments. */
  argsSha256: string;
  /** The approval this call runs under, for irreversible tools. */
  approvalId?: string | undefined;
  /**
   * For irreversible tools, the approval id: pass it to APIs that accept an idempotency key
   * (for example an `Idempotency-Key` header), so a call whose outcome became unknown can be
   * looked up, and is never applied twice, at the target.
   */
  idempotencyKey?: string | undefined;
  /** The model's tool call id, when the adapter knows it. */
  callId?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** A tool definition: what it is, how risky, who approves, and the function itself. */
export interface ToolDefinition<Schema extends ZodType, Result> {
  /** Name the model calls it by. */
  name: string;
  /** What it does, for the model. */
  description: string;
  /** Zod schema of the arguments. */
  schema: Schema;
  risk: RiskTier;
  /** RFC 8707 resource indicator of the API the tool calls. */
  resource: string;
  /** Scope the routine token needs (read and write tools). */
  scope?: string | undefined;
  /** Required for `irreversible` tools. */
  approval?: ApprovalPolicy<ZodInfer<Schema>> | undefined;
  /** The function. It gets a fetch bound to the right token; it never sees the routine token for irreversible calls. */
  execute(args: ZodInfer<Schema>, context: ToolContext): Promise<Result>;
}

/** The call ran. */
export interface ToolDone<Result> {
  status: 'done';
  tool: string;
  result: Result;
  argsSha256: string;
  approvalId?: string | undefined;
  /** Who approved, for irreversible tools (as the authorization server reported). */
  approvers?: ApproverRecord[] | undefined;
}

/** The call waits for a human. Surface this to the agent loop, then resume. */
export interface ToolApprovalPending {
  status: 'approval_pending';
  tool: string;
  approvalId: string;
  bindingMessage: string;
  /** Who was asked. */
  approver: string;
  /** ISO 8601. */
  expiresAt: string;
  argsSha256: string;
  /** Dual-control progress, where the authorization server reports it. */
  progress?: ApprovalProgress | undefined;
  /** That progress in one line, e.g. `1 of 2 approvals (alice); waiting for one more of: bob`. */
  progressText?: string | undefined;
}

/** A human said no; nothing ran. */
export interface ToolDenied {
  status: 'denied';
  tool: string;
  approvalId: string;
  reason?: string | undefined;
}

/** Nobody decided in time; nothing ran. */
export interface ToolExpired {
  status: 'expired';
  tool: string;
  approvalId: string;
}

/** The call failed (invalid arguments, arguments changed, network, the function threw). */
export interface ToolFailed {
  status: 'failed';
  tool: string;
  error: CountersignError | Error;
  approvalId?: string | undefined;
  /**
   * True when nothing was decided and the call is still pending in the approval store (a poll that
   * failed on the network or at the server, or the call executing in another process): resume it
   * later. Absent or false: the outcome is final for these arguments.
   */
  retryable?: boolean | undefined;
}

/** The discriminated result of invoking or resuming a guarded tool. */
export type ToolOutcome<Result> = ToolDone<Result> | ToolApprovalPending | ToolDenied | ToolExpired | ToolFailed;

/** Options of one invocation. */
export interface InvokeOptions {
  /** The model's tool call id: a re-run of the same call resumes its approval instead of asking again. */
  callId?: string | undefined;
  signal?: AbortSignal | undefined;
  /**
   * For irreversible tools: keep polling at the server's interval until a human decides (or the
   * request expires, or `signal` aborts) instead of returning `approval_pending`. Default false.
   */
  wait?: boolean | undefined;
}

/** A tool wrapped by Countersign: schema checked, risk enforced, approvals bound to exact arguments. */
export interface GuardedTool<Schema extends ZodType = ZodType, Result = unknown> {
  readonly name: string;
  readonly description: string;
  readonly schema: Schema;
  readonly risk: RiskTier;
  /** Validates, then runs (read/write) or asks for approval (irreversible), or resumes the call's approval. */
  invoke(args: unknown, options?: InvokeOptions): Promise<ToolOutcome<Result>>;
  /**
   * Polls the approval once; when approved, re-hashes `args` (must equal the approved hash) and runs
   * the function exactly once. A second resume returns the stored outcome.
   */
  resume(approvalId: string, args: unknown, options?: InvokeOptions): Promise<ToolOutcome<Result>>;
  /** The authorization details this call would be approved under (for display and tests). */
  authorizationDetails(args: unknown): AuthorizationDetail[];
}
