import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_PROMPT_TOKENS, MAX_TRACE_ROWS } from '../run/config-bounds.ts';
import { parseLengthTraceCsv } from './length-trace-csv.ts';
import { createLengthSampler, lengthsSchema } from './lengths.ts';
import { createRandom } from './seeded-random.ts';

// etalon's published length traces (docs/workload.md#length-trace-csv-files), test data kept in a
// folder beside the repository and never copied into it.
const TRACES = path.resolve(import.meta.dirname, '../../../../shared/traces');
const traceFiles = readdirSync(TRACES).filter((name) => name.endsWith('.csv'));

describe('parseLengthTraceCsv on the shared etalon traces', () => {
  it('finds the traces', () => {
    expect(traceFiles.length).toBeGreaterThan(0);
  });

  it.each(traceFiles)('%s', (name) => {
    const text = readFileSync(path.join(TRACES, name), 'utf8');
    const { rows } = parseLengthTraceCsv(text);
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    expect(rows).toHaveLength(lines.length - 1);
    expect(rows.every(([p, o]) => Number.isInteger(p) && p >= 1 && Number.isInteger(o) && o >= 1)).toBe(true);
    // The columns are picked by name: compare the last row with the file's own num_total_tokens.
    const header = lines[0]!.split(',');
    const last = lines.at(-1)!.split(',');
    const totalAt = header.indexOf('num_total_tokens');
    if (totalAt >= 0) {
      const [prompt, output] = rows.at(-1)!;
      expect(prompt + output).toBe(Number(last[totalAt]));
    }
    // And it feeds the trace lengths generator, here capped at 4096 tokens.
    const lengths = lengthsSchema.parse({ type: 'trace', rows, max_tokens: 4096 });
    const sampler = createLengthSampler(lengths, createRandom(1));
    for (let i = 0; i < 2000; i++) {
      const { promptTokens, outputTokens } = sampler(i);
      expect(promptTokens + outputTokens).toBeLessThanOrEqual(4096);
    }
  });
});

describe('parseLengthTraceCsv', () => {
  it('reads the two columns by name in any order, with CRLF, quotes, a BOM and blank lines', () => {
    const text =
      '\uFEFFpd_ratio,"num_decode_tokens",other, num_prefill_tokens\r\n0.5,20,x,10\r\n\r\n2,3,y,6\r\n';
    expect(parseLengthTraceCsv(text)).toEqual({
      rows: [
        [10, 20],
        [6, 3],
      ],
    });
  });

  it('names missing columns', () => {
    expect(() => parseLengthTraceCsv('num_prefill_tokens,num_tokens\n1,2\n')).toThrow(
      /line 1: header lacks column\(s\) num_decode_tokens/,
    );
    expect(() => parseLengthTraceCsv('\n  \n')).toThrow(/empty/);
    expect(() => parseLengthTraceCsv('num_prefill_tokens,num_decode_tokens\n')).toThrow(/no data rows/);
  });

  it('lists every bad value with its line number in one error', () => {
    const text = ['num_prefill_tokens,num_decode_tokens', '1,2', '0,2', 'abc,1.5', '7', '3,4'].join('\n');
    let message = '';
    try {
      parseLengthTraceCsv(text);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/4 problems/);
    expect(message).toMatch(/line 3: num_prefill_tokens must be an integer ≥ 1, got "0"/);
    expect(message).toMatch(/line 4: num_prefill_tokens .* got "abc"/);
    expect(message).toMatch(/line 4: num_decode_tokens .* got "1.5"/);
    expect(message).toMatch(/line 5: missing num_decode_tokens/);
  });

  it('reports at most 20 problems and says how many more', () => {
    const text = ['num_prefill_tokens,num_decode_tokens', ...Array(50).fill('x,1')].join('\n');
    let message = '';
    try {
      parseLengthTraceCsv(text);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.match(/^line \d+:/gm)).toHaveLength(20);
    expect(message).toMatch(/50 problems/);
    expect(message).toMatch(/… and 30 more/);
  });

  it('refuses lengths above the run config bounds and more rows than a config holds, by line', () => {
    const header = 'num_prefill_tokens,num_decode_tokens';
    expect(() => parseLengthTraceCsv(`${header}\n8,4\n${MAX_PROMPT_TOKENS + 1},4\n`)).toThrow(
      new RegExp(`line 3: num_prefill_tokens must be at most ${MAX_PROMPT_TOKENS}`),
    );
    expect(() => parseLengthTraceCsv(`${header}\n8,${Number.MAX_SAFE_INTEGER}\n`)).toThrow(
      /line 2: num_decode_tokens must be at most/,
    );
    const many = [header, ...Array(MAX_TRACE_ROWS + 1).fill('1,1')].join('\n');
    expect(() => parseLengthTraceCsv(many)).toThrow(new RegExp(`more than ${MAX_TRACE_ROWS} rows`));
    expect(parseLengthTraceCsv([header, ...Array(MAX_TRACE_ROWS).fill('1,1')].join('\n')).rows).toHaveLength(
      MAX_TRACE_ROWS,
    );
  });
});
