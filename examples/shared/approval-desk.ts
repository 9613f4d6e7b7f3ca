/**
 * The human side of every example: `--approve-as`/`--deny` for unattended runs, otherwise a
 * terminal prompt (beside the inbox page) that accepts `alice`, `approve as alice` or `deny`, asks
 * again after a bad answer, and stops once the request is decided anywhere.
 */
import { describeApprovalProgress } from '@countersign/core';
import type { ApprovalView, DevApprover } from '@countersign/devkit';
import { ask, UsageError, UserFacingError, type FlagTable } from './cli.js';
import { ApprovalRefused, type ExampleStack } from './example-stack.js';

/** `--approve-as` and `--deny`: the flags every example takes to decide without asking. */
export const approvalFlags = {
  'approve-as': {
    type: 'string',
    multiple: true,
    value: '<id>',
    description: 'approve as this dev approver without asking (alice, bob: treasury; carol: security); repeat for dual control',
  },
  deny: { type: 'boolean', default: false, description: 'deny the payout without asking (as the first --approve-as, else the approver asked)' },
} as const satisfies FlagTable;

/** What {@link decideAtDesk} reads from the parsed flags. */
export interface ApprovalFlagValues {
  'approve-as': string[];
  deny: boolean;
}

/** `alice, bob, carol`. */
export function approverIds(approvers: readonly DevApprover[]): string {
  return approvers.map((approver) => approver.id).join(', ');
}

function approverRoles(approvers: readonly DevApprover[]): string {
  return approvers.map((approver) => `${approver.id} (${approver.roles.join(', ')})`).join(', ');
}

/** Refuses an unknown or repeated `--approve-as` before anything starts: one line naming the valid ids. */
export function checkApproverFlags(flags: ApprovalFlagValues, approvers: readonly DevApprover[]): void {
  const seen = new Set<string>();
  for (const id of flags['approve-as']) {
    if (!approvers.some((approver) => approver.id === id)) {
      throw new UsageError(`--approve-as ${id}: no such approver`, `valid ids: ${approverRoles(approvers)}`);
    }
    if (seen.has(id)) {
      throw new UsageError(`--approve-as ${id} is given twice; a second approval must come from someone else`, `valid ids: ${approverRoles(approvers)}`);
    }
    seen.add(id);
  }
}

/** What {@link decideAtDesk} takes besides the stack and the request. */
export interface DeskOptions {
  flags: ApprovalFlagValues;
  /** Prints one line. */
  say(text: string): void;
  /** Indent of the desk's lines (default two spaces). */
  indent?: string;
  /** Stops the prompt (e.g. on Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * Decides `request` as the flags say, or asks on the terminal until it is decided (here or in the
 * inbox page). Resolves once the flags were applied, or once the request is no longer pending or
 * stdin ends. A refusal of a flag's decision (an approver without the role the action needs)
 * throws {@link UserFacingError} naming the valid ids.
 */
export async function decideAtDesk(stack: ExampleStack, request: ApprovalView, options: DeskOptions): Promise<void> {
  const { flags, say } = options;
  const indent = options.indent ?? '  ';
  const approvers = await stack.approvers();
  const named = flags['approve-as'];
  try {
    if (flags.deny) {
      const approver = named[0] ?? request.loginHint;
      await stack.deny(request.id, approver, 'denied with --deny');
      say(`${indent}denied as ${approver} (--deny)`);
      return;
    }
    if (named.length > 0) {
      for (const approver of named) {
        const view = await stack.approve(request.id, approver);
        say(`${indent}approved as ${approver} (--approve-as)${progressLine(view)}`);
      }
      return;
    }
  } catch (error) {
    if (error instanceof ApprovalRefused) {
      throw new UserFacingError(`the dev stack refused: ${error.message}`, `valid ids: ${approverRoles(approvers)}`, { cause: error });
    }
    throw error;
  }

  // Nobody named: ask here, and stop asking once the request is decided (here or in the inbox).
  const decided = new AbortController();
  const stop = () => decided.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  const watcher = setInterval(() => {
    stack.get(request.id).then(
      (view) => view.status !== 'pending' && stop(),
      () => undefined,
    );
  }, 500);
  try {
    const question = `${indent}or here: type an approver id to approve (${approverIds(approvers)}), or "deny": `;
    const answered = await ask(question, {
      signal: decided.signal,
      indent,
      interpret: async (answer) => {
        const choice = parseAnswer(answer);
        if (choice === undefined) return { retry: `type an approver id (${approverIds(approvers)}), "approve as <id>", or "deny"` };
        const approver = choice.approver ?? request.loginHint;
        if (!approvers.some((candidate) => candidate.id === approver)) {
          return { retry: `no approver "${approver}"; valid ids: ${approverRoles(approvers)}` };
        }
        try {
          if (choice.verb === 'deny') {
            await stack.deny(request.id, approver, 'denied in the terminal');
            say(`${indent}denied as ${approver}`);
            return true;
          }
          const view = await stack.approve(request.id, approver);
          say(`${indent}approved as ${approver}${progressLine(view)}`);
          return view.status === 'pending' ? { retry: `one more approval is needed, from someone other than ${approver}` } : true;
        } catch (error) {
          if (error instanceof ApprovalRefused) {
            if (error.code === 'already_decided' || error.code === 'expired') return true;
            return { retry: `refused: ${error.message}; valid ids: ${approverRoles(approvers)}` };
          }
          throw error;
        }
      },
    });
    if (answered === undefined && !decided.signal.aborted) say(`${indent}no answer on stdin; waiting for a decision in the inbox: ${stack.inboxUrl}`);
  } finally {
    clearInterval(watcher);
    options.signal?.removeEventListener('abort', stop);
  }
}

/** `alice`, `approve as alice`, `approve alice`, `deny`, `deny as bob`: the desk's answers. */
export function parseAnswer(answer: string): { verb: 'approve' | 'deny'; approver?: string } | undefined {
  const words = answer.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return undefined;
  const [first, ...rest] = words;
  const verb = first!.toLowerCase();
  const target = rest[0]?.toLowerCase() === 'as' ? rest.slice(1) : rest;
  if (verb === 'deny' && target.length <= 1) return target[0] === undefined ? { verb: 'deny' } : { verb: 'deny', approver: target[0] };
  if (verb === 'approve' && target.length === 1) return { verb: 'approve', approver: target[0]! };
  if (words.length === 1) return { verb: 'approve', approver: first! };
  return undefined;
}

/**
 * Where the request stands, in the SDK's own words (the line a guard's pending outcome carries as
 * `progressText`): `: 1 of 2 approvals (alice); waiting for one more of: bob`.
 */
export function progressLine(view: ApprovalView): string {
  const waitingFor = view.status === 'pending' ? view.mayApprove : [];
  return `: ${describeApprovalProgress({ required: view.requiredApprovals, received: view.approvals.map((decision) => ({ subject: decision.approver })), waitingFor })}`;
}
