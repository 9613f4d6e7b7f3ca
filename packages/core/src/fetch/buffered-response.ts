import { Response, type ResponseInit } from 'undici';

const utf8 = new TextDecoder();

/**
 * A WHATWG `Response` whose whole body arrived with its headers (see `takeBufferedBody`).
 *
 * `arrayBuffer()`, `bytes()`, `text()` and `json()` read those bytes directly. Everything else that
 * touches the body (`body`, `blob()`, `formData()`, `clone()` of a stream already asked for) goes
 * through an ordinary `Response` built from the bytes the first time it is needed. The body is
 * still used once: a second read rejects with the `TypeError` fetch specifies, and `bodyUsed`
 * reports it.
 *
 * Why: building a `Response` around a stream and reading it back through a stream reader costs
 * an agent's request about a fifth of a minimal DPoP client's whole CPU time (see
 * docs/benchmarks.md), for bytes that are already in memory.
 *
 * @see https://fetch.spec.whatwg.org/#response-class
 * @see https://fetch.spec.whatwg.org/#body-mixin
 */
export class BufferedResponse extends Response {
  /**
   * The body's bytes, in a buffer of their own, until they are read or handed to
   * {@link BufferedResponse.#streamed}.
   */
  #bytes: Uint8Array | undefined;
  /** Set once the body was read through one of the direct readers. */
  #used = false;
  /** The ordinary Response holding the body, once something asked for its stream. */
  #streamed: Response | undefined;

  /**
   * @param bytes the whole body; copied here, because a socket's chunk is a view into a larger
   *   pooled buffer (other headers, other responses, other secrets) that must never be handed out.
   */
  constructor(bytes: Uint8Array, init: ResponseInit) {
    super(null, init);
    this.#bytes = new Uint8Array(bytes);
  }

  // undici types `body`, `bodyUsed` and the body readers as properties, so they are set on the
  // prototype here, where they can still reach the private state.
  static {
    Object.defineProperties(BufferedResponse.prototype, {
      body: {
        get(this: BufferedResponse) {
          return this.#stream().body;
        },
        configurable: true,
      },
      bodyUsed: {
        get(this: BufferedResponse) {
          return this.#used || (this.#streamed?.bodyUsed ?? false);
        },
        configurable: true,
      },
    });
    const readers: Pick<Response, 'arrayBuffer' | 'bytes' | 'text' | 'json' | 'blob' | 'formData' | 'clone'> & ThisType<BufferedResponse> = {
      arrayBuffer() {
        if (this.#streamed !== undefined) return this.#streamed.arrayBuffer();
        const bytes = this.#take();
        return bytes instanceof Promise ? bytes : Promise.resolve(bytes.buffer as ArrayBuffer);
      },
      bytes() {
        if (this.#streamed !== undefined) return this.#streamed.bytes();
        const bytes = this.#take();
        return bytes instanceof Promise ? bytes : Promise.resolve(bytes as Uint8Array<ArrayBuffer>);
      },
      text() {
        if (this.#streamed !== undefined) return this.#streamed.text();
        const bytes = this.#take();
        // A UTF-8 decode that drops a leading BOM, as fetch's text() does.
        return bytes instanceof Promise ? bytes : Promise.resolve(utf8.decode(bytes));
      },
      json() {
        if (this.#streamed !== undefined) return this.#streamed.json();
        const bytes = this.#take();
        if (bytes instanceof Promise) return bytes;
        try {
          return Promise.resolve(JSON.parse(utf8.decode(bytes)) as unknown);
        } catch (error) {
          return Promise.reject(error as Error);
        }
      },
      blob() {
        return this.#stream().blob();
      },
      formData() {
        return this.#stream().formData();
      },
      clone() {
        if (this.#streamed !== undefined) return withUrl(this.#streamed.clone(), this.url);
        // A used body cannot be cloned: the ordinary Response says so in fetch's words.
        if (this.#used) return this.#stream().clone();
        return withUrl(new BufferedResponse(this.#bytes!, this.#ownInit()), this.url);
      },
    };
    for (const [name, value] of Object.entries(readers)) {
      Object.defineProperty(BufferedResponse.prototype, name, { value, writable: true, configurable: true });
    }
  }

  /** This response's status line and headers, for a copy of it. */
  #ownInit(): ResponseInit {
    return { status: this.status, statusText: this.statusText, headers: this.headers };
  }

  /** The bytes, taken once; a rejection in fetch's words when they were already read. */
  #take(): Uint8Array | Promise<never> {
    const bytes = this.#bytes;
    if (this.#used || bytes === undefined) return this.#stream().arrayBuffer() as Promise<never>;
    this.#used = true;
    this.#bytes = undefined;
    return bytes;
  }

  /** The ordinary Response behind this one, built once; its body already read when this one's was. */
  #stream(): Response {
    if (this.#streamed !== undefined) return this.#streamed;
    const bytes = this.#bytes;
    this.#bytes = undefined;
    const streamed = new Response(filledStream(bytes ?? new Uint8Array(0)) as unknown as ConstructorParameters<typeof Response>[0], this.#ownInit());
    if (this.#used) {
      // Disturb and lock it, so its `body` reads as used and every reader rejects as fetch's would.
      streamed.body!.getReader().read().catch(() => undefined);
    }
    return (this.#streamed = streamed);
  }
}

/** A closed stream holding `bytes` (a buffer of their own, no longer used elsewhere), none when empty. */
function filledStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** fetch reports the URL it fetched; a constructed Response has an empty `url`. */
export function withUrl<T extends Response>(response: T, url: string): T {
  Object.defineProperty(response, 'url', { value: url, enumerable: true });
  return response;
}
