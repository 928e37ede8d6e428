import { describe, expect, it } from 'vitest';
import { createDeferQueue } from './defer-task.ts';

describe('createDeferQueue', () => {
  it('runs tasks after the current turn, in order, and leaves tasks queued by them for a later turn', async () => {
    const defer = createDeferQueue();
    const seen: string[] = [];
    defer(() => {
      seen.push('a');
      defer(() => seen.push('c'));
    });
    defer(() => seen.push('b'));
    await Promise.resolve();
    expect(seen).toEqual([]);
    await new Promise((r) => setTimeout(r, 5));
    expect(seen.slice(0, 2)).toEqual(['a', 'b']);
    await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});
