import { describe, expect, it } from 'vitest';
import { InvocationBudget } from './invocation-budget.ts';

describe('InvocationBudget', () => {
  it('refuses a send once the subrequests, with room for the pending flush, would reach the cap', () => {
    const budget = new InvocationBudget({ maxSubrequests: 100, maxD1Queries: 1_000 });
    expect(budget.canSend(0)).toBe(true);
    budget.subrequests = 90;
    expect(budget.canSend(0)).toBe(true);
    expect(budget.canSend(5)).toBe(false);
    budget.subrequests = 91;
    expect(budget.canSend(0)).toBe(false);
  });

  it('keeps room in the D1 query budget for the records still to write', () => {
    const budget = new InvocationBudget({ maxSubrequests: 10_000, maxD1Queries: 100 });
    budget.d1Queries = 80;
    expect(budget.canSend(10)).toBe(true);
    expect(budget.canSend(12)).toBe(false);
  });
});
