import { describe, expect, it } from 'vitest';
import { requestRecordSchema } from '../../core/record/request-record.ts';
import { chunksFromEtalonGaps, etalonToRecords, isEtalonRequestLevelMetrics } from './etalon-input.ts';

// A two-request example of etalon's request_level_metrics.json, as etalon's json.dump writes it.
const NOTES_EXAMPLE =
  '{"num_prompt_tokens": [512, 1024], "num_output_tokens": [4, 3], "num_total_tokens": [516, 1027], ' +
  '"tpot": [0.021, 0.0205], "ttft": [0.153, 0.301], "tbt": [[0.02, 0.0, 0.043], [0.021, 0.02]], ' +
  '"end_to_end_latency": [0.216, 0.342], "normalized_end_to_end_latency": [0.054, 0.114], ' +
  '"output_throughput": [18.51851851851852, 8.771929824561404], "deadline_miss_rate": [0.4, 0.5], ' +
  '"min_tbt_deadline_to_meet": [0.0431, 10000000000.0]}';

describe('isEtalonRequestLevelMetrics', () => {
  it('recognises the column-oriented file and nothing else', () => {
    expect(isEtalonRequestLevelMetrics(JSON.parse(NOTES_EXAMPLE))).toBe(true);
    expect(isEtalonRequestLevelMetrics({ ttft: [], tbt: [], num_output_tokens: [] })).toBe(true);
    expect(isEtalonRequestLevelMetrics([{ ttft: 0.1, tbt: [], num_output_tokens: 1 }])).toBe(false);
    expect(isEtalonRequestLevelMetrics({ ttft: [0.1], num_output_tokens: [1] })).toBe(false);
    expect(isEtalonRequestLevelMetrics({ ttft: 0.1, tbt: [], num_output_tokens: [1] })).toBe(false);
    expect(isEtalonRequestLevelMetrics(null)).toBe(false);
    expect(isEtalonRequestLevelMetrics('ttft')).toBe(false);
  });
});

describe('etalonToRecords', () => {
  it('parses the example: token times are etalon’s cumulative sums, zero gaps fold into one read', () => {
    const { records, issues } = etalonToRecords(JSON.parse(NOTES_EXAMPLE));
    expect(issues).toEqual([]);
    expect(records).toEqual([
      {
        id: '0',
        sent_at_ms: 0,
        prompt_tokens: 512,
        output_tokens: 4,
        // Sequential float sums, exactly as np.cumsum([ttft] + tbt), then × 1000.
        chunks: [
          [0.153 * 1000, 1],
          [(0.153 + 0.02) * 1000, 2],
          [(0.153 + 0.02 + 0.0 + 0.043) * 1000, 1],
        ],
        token_count_source: 'tokenizer',
        outcome: 'ok',
      },
      {
        id: '1',
        sent_at_ms: 0,
        prompt_tokens: 1024,
        output_tokens: 3,
        chunks: [
          [0.301 * 1000, 1],
          [(0.301 + 0.021) * 1000, 1],
          [(0.301 + 0.021 + 0.02) * 1000, 1],
        ],
        token_count_source: 'tokenizer',
        outcome: 'ok',
      },
    ]);
    for (const record of records) expect(requestRecordSchema.safeParse(record).success).toBe(true);
  });

  it('groups every run of zero gaps, including right after the first token', () => {
    const chunks = chunksFromEtalonGaps(0.1, [0, 0, 0.01, 0, 0.02, 0.03, 0]);
    expect(chunks.map(([, tokens]) => tokens)).toEqual([3, 2, 1, 2]);
    expect(chunks.map(([ms]) => ms)).toEqual([
      100,
      (0.1 + 0 + 0 + 0.01) * 1000,
      (0.1 + 0.01 + 0 + 0.02) * 1000,
      (0.1 + 0.01 + 0.02 + 0.03) * 1000,
    ]);
    expect(chunksFromEtalonGaps(0, [])).toEqual([[0, 1]]);
  });

  it('uses 0 prompt tokens when the column is absent', () => {
    const { records, issues } = etalonToRecords({ ttft: [0.2], tbt: [[0.05]], num_output_tokens: [2] });
    expect(issues).toEqual([]);
    expect(records[0]?.prompt_tokens).toBe(0);
    expect(records[0]?.chunks).toEqual([
      [200, 1],
      [(0.2 + 0.05) * 1000, 1],
    ]);
  });

  it('reports every problem with its path and converts only the clean requests', () => {
    const { records, issues } = etalonToRecords({
      ttft: [0.1, -1, 'x', 0.2, 0.3],
      tbt: [[0.01], [0.02], 5, [0.01, -0.5, null], [0.1]],
      num_output_tokens: [2, 2, 1, 1.5],
      num_prompt_tokens: 'abc',
    });
    expect(issues.map((issue) => issue.path)).toEqual([
      ['num_prompt_tokens'],
      ['num_output_tokens'],
      ['ttft', 1],
      ['ttft', 2],
      ['tbt', 2],
      ['tbt', 3, 1],
      ['tbt', 3, 2],
      ['num_output_tokens', 3],
    ]);
    expect(issues[1]?.message).toMatch(/4 entries but ttft has 5/);
    expect(issues[5]?.message).toMatch(/-0\.5/);
    // Row 4 lies past the shortest list, rows 1–3 have bad cells.
    expect(records.map((r) => r.id)).toEqual(['0']);
  });

  it('reports missing columns and never throws on junk', () => {
    expect(etalonToRecords({ ttft: [0.1] }).issues).toEqual([
      { path: ['tbt'], message: 'missing column' },
      { path: ['num_output_tokens'], message: 'missing column' },
    ]);
    for (const junk of [
      null,
      5,
      'text',
      [],
      [{ ttft: 0.1 }],
      { ttft: {}, tbt: [[]], num_output_tokens: [1] },
    ]) {
      const { records, issues } = etalonToRecords(junk);
      expect(records).toEqual([]);
      expect(issues.length).toBeGreaterThan(0);
    }
  });

  it('reports token times that overflow instead of emitting Infinity', () => {
    const { records, issues } = etalonToRecords({ ttft: [1e308], tbt: [[1e308]], num_output_tokens: [2] });
    expect(records).toEqual([]);
    expect(issues).toEqual([{ path: ['tbt', 0], message: expect.stringMatching(/float range/) }]);
  });
});
