import type { Dispatcher } from 'undici';

type DispatchController = Dispatcher.DispatchController;

/**
 * The one controller the caller's handler sees for the whole exchange; it forwards to the
 * connection of the attempt in progress, and an abort between attempts ends the exchange at once.
 */
export class StableController implements DispatchController {
  #target: DispatchController | undefined;
  readonly #onAbortBetweenAttempts: (reason: Error) => void;

  constructor(onAbortBetweenAttempts: (reason: Error) => void) {
    this.#onAbortBetweenAttempts = onAbortBetweenAttempts;
  }

  #paused = false;
  #aborted = false;
  #reason: Error | null = null;

  set target(target: DispatchController | undefined) {
    this.#target = target;
    if (target && this.#paused) target.pause();
    if (target && this.#aborted) target.abort(this.#reason ?? new Error('aborted'));
  }

  get aborted(): boolean {
    return this.#aborted || (this.#target?.aborted ?? false);
  }
  get paused(): boolean {
    return this.#paused || (this.#target?.paused ?? false);
  }
  get reason(): Error | null {
    return this.#reason ?? this.#target?.reason ?? null;
  }
  /** undici 8's fetch reads the response headers (a redirect's `location`) from here when set. */
  get rawHeaders(): DispatchController['rawHeaders'] {
    return this.#target?.rawHeaders;
  }
  get rawTrailers(): DispatchController['rawTrailers'] {
    return this.#target?.rawTrailers;
  }
  abort(reason: Error): void {
    this.#aborted = true;
    this.#reason = reason;
    if (this.#target) this.#target.abort(reason);
    else this.#onAbortBetweenAttempts(reason);
  }
  pause(): void {
    this.#paused = true;
    this.#target?.pause();
  }
  resume(): void {
    this.#paused = false;
    this.#target?.resume();
  }
}
