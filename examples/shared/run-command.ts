/**
 * Test helper: runs a command of this repository as a developer would (a child process), feeding
 * stdin lines when the output asks for them, and collects its output and exit status.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

/** What {@link runCommand} resolves to. */
export interface CommandRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr, in arrival order. */
  output: string;
}

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** Lines to type, each sent once the output so far matches its `after` pattern. */
  answers?: Array<{ after: RegExp; line: string }>;
  /** Environment on top of this process's (OPENAI_API_KEY is cleared, so examples stay offline). */
  env?: Record<string, string>;
  /** Called with each new chunk of output and the child, e.g. to send it a signal. */
  onOutput?(output: string, child: ReturnType<typeof spawn>): void;
  /** Keep stdin open after the answers (default: close it once every answer was typed). */
  keepStdinOpen?: boolean;
  /** Kills the child after this many milliseconds (default 90 s). */
  timeoutMs?: number;
}

/** Runs `command args` in the repository root; stdin stays open until every answer was typed, then closes. */
export function runCommand(command: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: repositoryRoot,
      env: { ...process.env, OPENAI_API_KEY: '', FORCE_COLOR: '0', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const answers = [...(options.answers ?? [])];
    let stdout = '';
    let stderr = '';
    let output = '';
    let typedUpTo = 0;
    const typeAnswers = () => {
      while (answers.length > 0 && answers[0]!.after.test(output.slice(typedUpTo))) {
        typedUpTo = output.length;
        child.stdin.write(`${answers.shift()!.line}\n`);
      }
      if (answers.length === 0 && !options.keepStdinOpen && !child.stdin.writableEnded) child.stdin.end();
    };
    if (options.answers === undefined && !options.keepStdinOpen) child.stdin.end();
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
      typeAnswers();
      options.onOutput?.(output, child);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      output += chunk.toString();
      options.onOutput?.(output, child);
    });
    child.stdin.on('error', () => undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (!child.stdin.writableEnded) child.stdin.end();
      resolve({ code, signal, stdout, stderr, output });
    });
  });
}

/** Runs `pnpm exec tsx <script> ...args`. */
export function runExample(script: string, args: readonly string[], options?: RunCommandOptions): Promise<CommandRun> {
  return runCommand('pnpm', ['exec', 'tsx', script, ...args], options);
}

/** Lines that look like a stack trace frame. */
export function stackFrames(output: string): string[] {
  return output.split('\n').filter((line) => /^\s+at /.test(line));
}
