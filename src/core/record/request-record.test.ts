// Validation of the interchange record (docs/metrics.md#the-request-record): every problem in
// `chunks` is reported, each with the path of the offending element.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkIssues, requestRecordSchema } from './request-record.ts';

const base = {
  id: 'r1',
  sent_at_ms: 1_700_000_000_000,
  prompt_tokens: 100,
  output_tokens: 3,
  chunks: [
    [120, 1],
    [150.5, 2],
  ],
  token_count_source: 'usage_stream',
  outcome: 'ok',
};

/** Paths of the issues zod reports for a record with these chunks. */
function issuePaths(chunks: unknown): (string | number)[][] {
  const result = requestRecordSchema.safeParse({ ...base, chunks });
  return result.success ? [] : result.error.issues.map((i) => i.path as (string | number)[]);
}

describe('requestRecordSchema chunks', () => {
  it('accepts a well-formed record, zero-token reads and equal offsets included', () => {
    const record = requestRecordSchema.parse({
      ...base,
      chunks: [
        [0, 0],
        [0, 1],
        [0.001, 0],
        [0.001, 5],
        [12.345, 2],
      ],
    });
    expect(record.chunks).toHaveLength(5);
    expect(requestRecordSchema.parse({ ...base, chunks: [] }).chunks).toEqual([]);
  });

  it('reports negative, non-finite and non-numeric offsets at [chunks, i, 0]', () => {
    for (const bad of [
      -0.001,
      -5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      '12',
      null,
    ]) {
      expect(
        issuePaths([
          [1, 1],
          [2, 1],
          [3, 1],
          [bad, 1],
        ]),
        String(bad),
      ).toEqual([['chunks', 3, 0]]);
    }
  });

  it('reports decreasing offsets against the last valid offset', () => {
    expect(
      issuePaths([
        [5, 1],
        [4.999, 1],
      ]),
    ).toEqual([['chunks', 1, 0]]);
    expect(
      issuePaths([
        [5, 1],
        [3, 1],
        [4, 1],
        [6, 1],
      ]),
    ).toEqual([
      ['chunks', 1, 0],
      ['chunks', 2, 0],
    ]);
    // A bad offset does not become the reference: 7 after (5, −1) is fine.
    expect(
      issuePaths([
        [5, 1],
        [-1, 1],
        [7, 1],
      ]),
    ).toEqual([['chunks', 1, 0]]);
    const message = requestRecordSchema.safeParse({
      ...base,
      chunks: [
        [5, 1],
        [3, 1],
      ],
    }).error!.issues[0]!.message;
    expect(message).toMatch(/must not decrease/);
  });

  it('reports non-integer, negative and non-numeric token counts at [chunks, i, 1]', () => {
    for (const bad of [1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, '2', null, true]) {
      expect(
        issuePaths([
          [1, 1],
          [2, bad],
        ]),
        String(bad),
      ).toEqual([['chunks', 1, 1]]);
    }
  });

  it('reports malformed tuples at [chunks, i]', () => {
    for (const bad of [[1], [1, 2, 3], [], 'x', 7, null, { 0: 1, 1: 2 }]) {
      expect(issuePaths([[1, 1], bad, [3, 1]]), JSON.stringify(bad)).toEqual([['chunks', 1]]);
    }
  });

  it('rejects chunks that are not an array, at [chunks]', () => {
    for (const bad of [undefined, null, 'chunks', { 0: [1, 1] }, 3]) {
      expect(issuePaths(bad), String(bad)).toEqual([['chunks']]);
    }
  });

  it('reports several issues at once, each with its own path', () => {
    expect(
      issuePaths([
        [1, 1],
        [-1, 1.5], // two issues in one chunk
        [2, 1],
        'oops',
        [1.5, 2], // decreasing after 2
        [3, -2],
        [Number.NaN, 1],
        [4, 0],
      ]),
    ).toEqual([
      ['chunks', 1, 0],
      ['chunks', 1, 1],
      ['chunks', 3],
      ['chunks', 4, 0],
      ['chunks', 5, 1],
      ['chunks', 6, 0],
    ]);
  });

  it('finds exactly the planted problems in random chunk lists', () => {
    type Plant = 'ok' | 'negative' | 'nan' | 'decreasing' | 'fraction' | 'negativeTokens' | 'tuple';
    const plantArb = fc.array(
      fc.oneof(
        { weight: 6, arbitrary: fc.constant<Plant>('ok') },
        fc.constantFrom<Plant>('negative', 'nan', 'decreasing', 'fraction', 'negativeTokens', 'tuple'),
      ),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(plantArb, (plants) => {
        const expected: (string | number)[][] = [];
        let lastValid = 0; // offsets are checked against the last valid one
        const chunks = plants.map((plant, i): unknown => {
          const at = i * 10; // increasing, so only the planted problems are wrong
          if (plant === 'decreasing' && lastValid === 0) plant = 'ok';
          if (plant === 'ok' || plant === 'fraction' || plant === 'negativeTokens') lastValid = at;
          switch (plant) {
            case 'negative':
              expected.push([i, 0]);
              return [-at - 1, 1];
            case 'nan':
              expected.push([i, 0]);
              return [Number.NaN, 1];
            case 'decreasing':
              expected.push([i, 0]);
              return [lastValid - 0.25, 1];
            case 'fraction':
              expected.push([i, 1]);
              return [at, 0.5];
            case 'negativeTokens':
              expected.push([i, 1]);
              return [at, -3];
            case 'tuple':
              expected.push([i]);
              return [at];
            default:
              return [at, 2];
          }
        });
        expect(chunkIssues(chunks).map((issue) => issue.path)).toEqual(expected);
        expect(issuePaths(chunks)).toEqual(expected.map((path) => ['chunks', ...path]));
      }),
      { numRuns: 200 },
    );
  });

  it('rejects other malformed fields too', () => {
    const paths = (record: object) => {
      const result = requestRecordSchema.safeParse(record);
      return result.success ? [] : result.error.issues.map((i) => i.path);
    };
    expect(paths({ ...base, output_tokens: 2.5 })).toEqual([['output_tokens']]);
    expect(paths({ ...base, prompt_tokens: -1 })).toEqual([['prompt_tokens']]);
    expect(paths({ ...base, outcome: 'exploded' })).toEqual([['outcome']]);
    expect(paths({ ...base, id: '' })).toEqual([['id']]);
    expect(paths({ ...base, headers_ms: -1 })).toEqual([['headers_ms']]);
  });
});
