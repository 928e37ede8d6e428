import { InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { RUN_LIST_LIMIT } from '../core/api/control-api-schemas.ts';
import { DEFAULT_DEADLINES } from '../core/metrics/deadline-options.ts';
import { DEFAULT_URL } from './api-client.ts';

// Options and argument parsers shared by the commands (src/cli/main.ts). A parser that throws
// InvalidArgumentError makes commander print one `fluidbench: …` usage line and exit 2.

/** A whole number from `min` to `max`. */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

/** An http(s) URL. */
export function httpUrl(value: string): string {
  if (!URL.canParse(value)) throw new InvalidArgumentError('not a URL.');
  const { protocol } = new URL(value);
  if (protocol !== 'http:' && protocol !== 'https:')
    throw new InvalidArgumentError('expected an http:// or https:// URL.');
  return value;
}

/** `--url`: every API command's; FLUIDBENCH_URL when not given, else the local dev server. */
export const urlOption = () =>
  new Option('--url <url>', 'control API base URL')
    .env('FLUIDBENCH_URL')
    .default(DEFAULT_URL)
    .argParser(httpUrl);

/** `--json`: every API command prints the API's answer as JSON instead of text. */
export const jsonOption = () => new Option('--json', "print the API's answer as JSON");

/** `--limit` and `--cursor` of every list command (runs, profiles, …), bounded as the API is. */
export const listLimitOption = () =>
  new Option('--limit <n>', 'how many')
    .argParser(wholeNumber(RUN_LIST_LIMIT.min, RUN_LIST_LIMIT.max))
    .default(20);
export const cursorOption = () =>
  new Option('--cursor <cursor>', 'continue after a previous page (printed as `more:`)');

/** `analyze`'s and `report`'s fixed TTFT deadline flag (seconds), declared once. */
export const ttftDeadlineOption = (note = '') =>
  new Option(
    '--ttft-deadline <s>',
    `fixed TTFT deadline in seconds (default: ${DEFAULT_DEADLINES.ttft_deadline_s})${note}`,
  );

/** `analyze`'s and `report`'s TBT deadline flag (seconds), declared once. */
export const tbtDeadlineOption = (note = '') =>
  new Option(
    '--tbt-deadline <s>',
    `TBT deadline in seconds (default: ${DEFAULT_DEADLINES.tbt_deadline_s})${note}`,
  );
