/**
 * What one invocation (an alarm slice) may spend. Production Workers cap subrequests per
 * invocation (fetches, D1 queries, Durable Object calls: 10,000 by default) and D1 documents 1,000
 * queries per invocation; local workerd enforces neither, so fluidbench counts them itself and ends
 * a slice early rather than have the platform fail it.
 */
export interface InvocationLimits {
  maxSubrequests: number;
  maxD1Queries: number;
}

export class InvocationBudget {
  readonly limits: InvocationLimits;
  subrequests = 0;
  d1Queries = 0;

  constructor(limits: InvocationLimits) {
    this.limits = limits;
  }

  /**
   * Whether another request may start, keeping room to flush `pendingQueries` more D1 queries
   * (the records still to write) and a few calls to the coordinator.
   */
  canSend(pendingQueries: number): boolean {
    const reserve = pendingQueries + 8;
    return (
      this.subrequests + 1 + reserve < this.limits.maxSubrequests &&
      this.d1Queries + reserve < this.limits.maxD1Queries
    );
  }
}
