import { describe, expect, it } from 'vitest';
import { apply, type Mutation, toJsonText } from './hostile-json.ts';

// The mutation machinery itself. fast-check hands out one instance of a constant such as [1, 'a']
// to every case that draws it; `apply` used to set that instance as is, so a later mutation could
// change it for all later cases or write it into itself (hostile-config.test.ts then failed now and
// then with "Converting circular structure to JSON" in the test, not in the Worker).

describe('hostile-json apply', () => {
  it('sets a copy of the value: the same instance set twice makes no cycle and stays unchanged', () => {
    const shared = [1, 'a'];
    const body: Record<string, unknown> = { a: 1 };
    const set = (pick: number): Mutation => ({ kind: 'set', pick, value: shared });
    apply(body, set(0)); // a = [1, 'a']; paths now: a, a.0, a.1
    apply(body, set(1)); // a.0 = [1, 'a'] again: the same instance inside itself if not copied
    expect(toJsonText(body)).toBe('{"a":[[1,"a"],"a"]}');
    expect(shared).toEqual([1, 'a']);
    apply(body, { kind: 'add-key', pick: 0, key: 'k', value: shared });
    expect(shared).toEqual([1, 'a']);
  });

  it('a key it added (even `constructor`) can be deleted again by a later mutation', () => {
    const body: Record<string, unknown> = { a: { b: 1 } };
    apply(body, { kind: 'add-key', pick: 0, key: 'constructor', value: ' ' });
    expect(Object.keys(body.a as object)).toEqual(['b', 'constructor']);
    // Paths: a, a.b, a.constructor — pick 2 deletes the added key.
    apply(body, { kind: 'delete', pick: 2 });
    expect(body).toEqual({ a: { b: 1 } });
    apply(body, { kind: 'set', pick: 0, value: { constructor: 1 } });
    apply(body, { kind: 'delete', pick: 1 });
    expect(toJsonText(body)).toBe('{"a":{}}');
  });

  it('a body emptied by deletes is left as it is', () => {
    const body: Record<string, unknown> = { only: 1 };
    apply(body, { kind: 'delete', pick: 0 });
    expect(apply(body, { kind: 'set', pick: 5, value: 1 })).toBe('set (empty body)');
    expect(toJsonText(body)).toBe('{}');
  });
});
