/**
 * Counts this invocation's requests that are waiting for response headers. Production Workers
 * let 6 connections wait for headers per invocation; a 7th waits inside the runtime, so its TTFT
 * includes our own queueing (docs/streaming.md#the-header-wait-gauge). Local workerd does not
 * enforce the limit, so we count it ourselves and flag every request dispatched while the limit
 * was already reached.
 */
export class HeaderWaitGauge {
  readonly limit: number;
  #waiting = 0;
  #maxWaiting = 0;
  #dispatchedWhileSaturated = 0;

  constructor(limit = 6) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`header-wait limit must be a positive integer, got ${limit}`);
    }
    this.limit = limit;
  }

  /** Requests currently waiting for headers. */
  get waiting(): number {
    return this.#waiting;
  }

  /** The most requests ever waiting at once. */
  get maxWaiting(): number {
    return this.#maxWaiting;
  }

  /** Requests dispatched while `limit` others were already waiting. */
  get dispatchedWhileSaturated(): number {
    return this.#dispatchedWhileSaturated;
  }

  /** Call just before `fetch()`. True when `limit` requests were already waiting (this one queues). */
  begin(): boolean {
    const saturated = this.#waiting >= this.limit;
    if (saturated) this.#dispatchedWhileSaturated++;
    this.#waiting++;
    if (this.#waiting > this.#maxWaiting) this.#maxWaiting = this.#waiting;
    return saturated;
  }

  /** Call once per `begin()`, when `fetch()` resolves or rejects. */
  end(): void {
    if (this.#waiting > 0) this.#waiting--;
  }
}
