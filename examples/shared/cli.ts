/**
 * The examples' command-line layer: one flag table gives the parser, the `--help` text and the
 * README's flag list; a user's mistake ends in one line and a hint (never a stack trace); prompts
 * ask again after a bad answer; Ctrl-C stops quietly.
 *
 * Adopting it in a new example (three steps):
 *
 * ```ts
 * import { defineCommand, runCli, UsageError } from '../shared/cli.js';
 * import { stackFlags } from '../shared/example-stack.js';       // --port, --issuer, --tool-api
 * import { approvalFlags } from '../shared/approval-desk.js';    // --approve-as, --deny
 *
 * const command = defineCommand({
 *   name: 'pnpm exec tsx examples/my-example/main.ts',
 *   summary: 'One sentence on what the example shows.',
 *   flags: { ...stackFlags, ...approvalFlags, amount: { type: 'string', default: '250', value: '<n>', description: 'payout amount' } },
 * });
 *
 * await runCli(command.name, async (signal) => {
 *   const flags = command.parse();          // prints usage and exits 0 on --help; UsageError otherwise
 *   if (flags.amount === 'x') throw new UsageError('--amount must be a number', 'try --amount 250');
 *   // ... the example; `signal` aborts on Ctrl-C (runCli then exits 130 without a trace)
 * });
 * ```
 *
 * Errors: throw {@link UsageError} for a mistake in the command line (exit 2) and
 * {@link UserFacingError} for a mistake in the environment (a busy port, an unknown approver at a
 * running stack: exit 1). Both print `<name>: <message>` and, on the next line, their hint. Any
 * other error prints one line too; `COUNTERSIGN_DEBUG=1` adds its stack trace.
 */
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline/promises';

/** One flag of a command: how it parses and how `--help` and the README describe it. */
export interface FlagDefinition {
  type: 'string' | 'boolean';
  /** One line for `--help` and the README. */
  description: string;
  /** Placeholder shown after a string flag in usage, e.g. `<n>` or `<url>` (default `<value>`). */
  value?: string;
  /** The flag may be given more than once (string flags only); its value is then an array. */
  multiple?: boolean;
  default?: string | boolean;
  /** A one-letter alias, e.g. `h`. */
  short?: string;
}

/** The flag table of a command, keyed by long name without dashes. */
export type FlagTable = Record<string, FlagDefinition>;

/** The parsed value of one flag. */
export type FlagValue<Definition extends FlagDefinition> = Definition['type'] extends 'boolean'
  ? boolean
  : Definition['multiple'] extends true
    ? string[]
    : Definition['default'] extends string
      ? string
      : string | undefined;

/** The parsed values of a whole flag table. */
export type FlagValues<Table extends FlagTable> = { [Name in keyof Table]: FlagValue<Table[Name]> };

/** What {@link defineCommand} takes. */
export interface CommandDefinition<Table extends FlagTable> {
  /** How a user runs the command, e.g. `pnpm demo`; printed in usage and before every error. */
  name: string;
  /** What the command does, in a sentence or two. */
  summary: string;
  flags: Table;
  /** Example command lines shown at the end of `--help`. */
  examples?: string[];
}

/** A command built from one flag table. */
export interface Command<Table extends FlagTable> {
  readonly name: string;
  readonly flags: Table;
  /** The `--help` text. */
  usage(): string;
  /** The flag list as Markdown table rows (`| --flag <n> | description (default …) |`), for the READMEs. */
  markdownFlags(): string;
  /**
   * Parses `argv` (default: this process's arguments). On `--help`/`-h` it prints {@link usage}
   * and exits 0; an unknown flag, a missing value or a stray argument throws {@link UsageError}.
   */
  parse(argv?: readonly string[]): FlagValues<Table>;
}

/** A mistake in the command line: printed as one line plus a hint, exit status 2. */
export class UsageError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UsageError';
    this.hint = hint;
  }
}

/** A mistake outside the command line that the user can fix (a busy port, an unknown approver): one line plus a hint, exit status 1. */
export class UserFacingError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserFacingError';
    this.hint = hint;
  }
}

const HELP_FLAG: FlagDefinition = { type: 'boolean', short: 'h', description: 'show this help' };

/** Builds a command whose parser, `--help` text and README rows all come from `definition.flags`. */
export function defineCommand<const Table extends FlagTable>(definition: CommandDefinition<Table>): Command<Table> {
  const table: FlagTable = { ...definition.flags, help: HELP_FLAG };
  const label = (name: string, flag: FlagDefinition) =>
    `${flag.short ? `-${flag.short}, ` : ''}--${name}${flag.type === 'string' ? ` ${flag.value ?? '<value>'}` : ''}`;
  const explain = (flag: FlagDefinition) =>
    `${flag.description}${flag.default !== undefined && flag.default !== false ? ` (default ${String(flag.default)})` : ''}${flag.multiple ? ' (repeatable)' : ''}`;

  function usage(): string {
    const labels = Object.entries(table).map(([name, flag]) => [label(name, flag), explain(flag)] as const);
    const width = Math.max(...labels.map(([text]) => text.length)) + 2;
    const lines = [`Usage: ${definition.name} [options]`, '', definition.summary, '', 'Options:'];
    for (const [text, description] of labels) lines.push(`  ${text.padEnd(width)}${description}`);
    if (definition.examples?.length) lines.push('', 'Examples:', ...definition.examples.map((example) => `  ${example}`));
    return `${lines.join('\n')}\n`;
  }

  return {
    name: definition.name,
    flags: definition.flags,
    usage,
    markdownFlags: () =>
      Object.entries(table)
        .map(([name, flag]) => `| \`${label(name, flag).replace(/\|/g, '\\|')}\` | ${explain(flag).replace(/\|/g, '\\|')} |`)
        .join('\n'),
    parse(argv = process.argv.slice(2)) {
      const options = Object.fromEntries(
        Object.entries(table).map(([name, flag]) => [
          name,
          {
            type: flag.type,
            ...(flag.multiple ? { multiple: true } : {}),
            ...(flag.short ? { short: flag.short } : {}),
            ...(flag.default !== undefined && !flag.multiple ? { default: flag.default } : {}),
          },
        ]),
      ) as Parameters<typeof parseArgs>[0] extends infer Config ? (Config extends { options?: infer O } ? O : never) : never;
      let values: Record<string, unknown>;
      try {
        ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
      } catch (error) {
        if (!String((error as { code?: unknown } | null)?.code).startsWith('ERR_PARSE_ARGS')) throw error;
        throw new UsageError(describeParseError(error), `run ${definition.name} --help for the options`);
      }
      if (values.help) {
        process.stdout.write(usage());
        process.exit(0);
      }
      delete values.help;
      for (const [name, flag] of Object.entries(definition.flags)) if (flag.multiple) values[name] ??= [];
      return values as FlagValues<Table>;
    },
  };
}

/** Node's parseArgs messages, reworded as one short line. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const option = /'(-{1,2}[^'\s]+)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? message}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (message.includes('ambiguous')) return `${option} needs a value; for a value that starts with a dash write ${option}=-…`;
      if (message.includes('missing')) return `${option} needs a value`;
      return `${option ?? 'an option'} does not take a value`;
    default:
      return message.split('\n')[0]!;
  }
}

let interrupted = false;

/**
 * Runs an example's body and turns its end into an exit status: 0 when it returns (or leaves
 * `process.exitCode` as it set it), 2 for a {@link UsageError}, 1 for any other error, 130 on
 * Ctrl-C. Errors print as `<name>: <message>` and a hint line; no stack trace unless
 * `COUNTERSIGN_DEBUG=1`. The body's `signal` aborts on the first Ctrl-C; a second one exits at once.
 */
export async function runCli(name: string, body: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const interrupt = new AbortController();
  const onInterrupt = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\n${name}: interrupted; stopping\n`);
    interrupt.abort(new UserFacingError('interrupted'));
    // Whatever the body is waiting on, do not hang: give it a moment to close its servers.
    setTimeout(() => process.exit(130), 1_500).unref();
  };
  process.on('SIGINT', onInterrupt);
  try {
    await body(interrupt.signal);
    if (interrupted) process.exitCode = 130;
  } catch (error) {
    process.exitCode = interrupted ? 130 : error instanceof UsageError ? 2 : 1;
    if (!interrupted) process.stderr.write(describeFailure(name, error));
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/** The one or two lines printed for an error that ends a command. */
export function describeFailure(name: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof UsageError || error instanceof UserFacingError ? error.hint : undefined;
  const lines = [`${name}: ${message.split('\n')[0]}`];
  if (hint) lines.push(`  ${hint}`);
  if (process.env.COUNTERSIGN_DEBUG === '1' && error instanceof Error && error.stack) lines.push(error.stack);
  else if (!(error instanceof UsageError || error instanceof UserFacingError)) lines.push('  (COUNTERSIGN_DEBUG=1 shows where it failed)');
  return `${lines.join('\n')}\n`;
}

/** What {@link ask} takes. */
export interface AskOptions<T> {
  /**
   * Turns an answer into a value, or returns `{ retry: 'why' }` to print that reason and ask again.
   * An empty answer is passed too.
   */
  interpret(answer: string): Promise<T | { retry: string }> | T | { retry: string };
  /** Stops asking (the question was answered elsewhere, e.g. in the inbox page): resolves `undefined`. */
  signal?: AbortSignal;
  /** Prefix of the "ask again" line (default two spaces). */
  indent?: string;
}

/**
 * Asks `question` on the terminal until {@link AskOptions.interpret} accepts an answer. Resolves
 * `undefined` when `signal` aborts, stdin ends, or the user presses Ctrl-C (which then stops the
 * command quietly, as {@link runCli} does).
 */
export async function ask<T>(question: string, options: AskOptions<T>): Promise<T | undefined> {
  const terminal = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
  let closed = false;
  terminal.once('close', () => (closed = true));
  // readline takes Ctrl-C from a terminal's raw input; treat it as the process's SIGINT.
  terminal.on('SIGINT', () => process.emit('SIGINT', 'SIGINT'));
  const lines = terminal[Symbol.asyncIterator]();
  const indent = options.indent ?? '  ';
  try {
    for (;;) {
      if (options.signal?.aborted || closed) return undefined;
      process.stdout.write(question);
      const next = await Promise.race([lines.next(), aborted(options.signal)]);
      if (next === undefined || next.done) return undefined;
      // Piped answers are not echoed by a terminal: echo them, so the transcript reads as typed.
      if (process.stdin.isTTY !== true) process.stdout.write(`${String(next.value)}\n`);
      const result = await options.interpret(String(next.value).trim());
      if (isRetry(result)) process.stdout.write(`${indent}${result.retry}\n`);
      else return result;
    }
  } finally {
    terminal.close();
  }
}

function isRetry(value: unknown): value is { retry: string } {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 1 && typeof (value as { retry?: unknown }).retry === 'string';
}

function aborted(signal: AbortSignal | undefined): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) return resolve(undefined);
    signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
}
