/**
 * The ingress producer: sends numbered messages to the runtime with many sends in flight
 * (each `rt.send` waits for its fsync, and concurrent sends share one: the more in flight,
 * the fewer fsyncs per message) and tracks the acknowledged prefix, the part of the stream
 * a restarted producer need not send again.
 *
 * Sends are started in index order, so the ingress log holds them in that order (offsets are
 * assigned in call order); they may be acknowledged out of order, hence the prefix.
 */
import type { Message, Runtime } from '../../index.js';

export class Producer {
  readonly #rt: Runtime;
  readonly #concurrency: number;
  /** Indexes acknowledged beyond the prefix. */
  readonly #done = new Set<number>();
  readonly #waiting: (() => void)[] = [];
  #prefix: number;
  #next: number;
  #inFlight = 0;
  #duplicates = 0;
  #error: Error | undefined;

  /** A producer whose first message will be number `first`. */
  constructor(rt: Runtime, concurrency: number, first: number) {
    this.#rt = rt;
    this.#concurrency = concurrency;
    this.#prefix = first;
    this.#next = first;
  }

  /** Messages before this number are all acknowledged. */
  get acked(): number {
    return this.#prefix;
  }

  /** Sends acknowledged as duplicates of an earlier send with the same idempotency key. */
  get duplicates(): number {
    return this.#duplicates;
  }

  /** True while `concurrency` sends are in flight: the next must wait for {@link room}. */
  get full(): boolean {
    return this.#inFlight >= this.#concurrency;
  }

  /** Resolves once a send may start; rejects if an earlier send failed. */
  async room(): Promise<void> {
    while (this.#inFlight >= this.#concurrency && this.#error === undefined) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    if (this.#error !== undefined) throw this.#error;
  }

  /**
   * Starts sending the next message (number `acked + sent so far`) under `idempotencyKey`;
   * resolves once it is under way, after waiting for room if `concurrency` sends are in
   * flight. Rejects if an earlier send failed.
   */
  async send(message: Message, idempotencyKey: string): Promise<void> {
    if (this.full) await this.room();
    this.start(message, idempotencyKey);
  }

  /**
   * Starts sending the next message at once, as {@link send} does once there is room: the
   * producing loop calls it directly, since an async call and an await per message cost as
   * much as a good part of the message's processing.
   *
   * @throws Error if an earlier send failed.
   */
  start(message: Message, idempotencyKey: string): void {
    if (this.#error !== undefined) throw this.#error;
    const index = this.#next++;
    this.#inFlight++;
    this.#rt.send(message, { idempotencyKey }).then(
      (result) => {
        if (result.duplicate) this.#duplicates++;
        this.#done.add(index);
        while (this.#done.delete(this.#prefix)) this.#prefix++;
        this.#release();
      },
      (err: unknown) => {
        this.#error ??= err instanceof Error ? err : new Error(String(err));
        this.#release();
      },
    );
  }

  /** Resolves when every send is acknowledged; rejects if one failed. */
  async flush(): Promise<void> {
    while (this.#inFlight > 0) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    if (this.#error !== undefined) throw this.#error;
  }

  #release(): void {
    this.#inFlight--;
    if (this.#waiting.length === 0) return;
    for (const wake of this.#waiting.splice(0)) wake();
  }
}
