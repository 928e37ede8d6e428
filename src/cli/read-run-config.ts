import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  findNodeAtLocation,
  type Node,
  type ParseError,
  parse,
  parseTree,
  printParseErrorCode,
} from 'jsonc-parser';
import { type RunConfig, runConfigSchema } from '../core/run/run-config.ts';
import { limitIssues, planRun, type RunPlan } from '../core/run/run-plan.ts';
import { parseLengthTraceCsv } from '../core/workload/length-trace-csv.ts';
import { CliError, EXIT_BAD_INPUT, formatPath } from './cli-error.ts';
import { describeFsError } from './read-records.ts';

// Reads a run configuration file (.json or .jsonc: comments and trailing commas allowed), inlines
// the files it refers to (relative to the config file) and validates it exactly as the API will,
// so every problem is reported at once, with its path and line, before anything is sent.

export interface ConfigIssue {
  path: (string | number)[];
  message: string;
  /** 1-based position in the config file of the value (or nearest enclosing value) at `path`. */
  line?: number;
  column?: number;
}

export interface LoadedRunConfig {
  file: string;
  /** The body to POST: the file's object with referenced files inlined, defaults not applied. */
  body: Record<string, unknown>;
  /** The validated configuration with defaults, as the Worker will see it. */
  config: RunConfig;
  plan: RunPlan;
}

const LENGTHS_FILE_PATH = ['workload', 'lengths', 'file'];

/** Reads, inlines and validates `file`; throws a CliError (exit 2) listing every issue. */
export async function readRunConfig(file: string): Promise<LoadedRunConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${describeFsError(error)}`);
  }
  const result = await parseRunConfigText(text, path.dirname(path.resolve(file)));
  if ('issues' in result)
    throw new CliError(describeConfigIssues(file, result.issues, result.syntax), EXIT_BAD_INPUT);
  return { file, ...result };
}

export type ParsedRunConfig =
  | Omit<LoadedRunConfig, 'file'>
  | { issues: ConfigIssue[] /** the text is not JSON(C) at all */; syntax: boolean };

/** The work of readRunConfig on text whose relative file references resolve against `baseDir`. */
export async function parseRunConfigText(text: string, baseDir: string): Promise<ParsedRunConfig> {
  const errors: ParseError[] = [];
  const options = { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false };
  const value: unknown = parse(text.replace(/^\uFEFF/, ''), errors, options);
  const at = lineColumn(text.replace(/^\uFEFF/, ''));
  if (errors.length > 0) {
    return {
      syntax: true,
      issues: errors.map((e) => ({
        path: [],
        message: words(printParseErrorCode(e.error)),
        ...at(e.offset),
      })),
    };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { syntax: true, issues: [{ path: [], message: 'the configuration must be a JSON object' }] };

  const tree = parseTree(text.replace(/^\uFEFF/, ''), [], options);
  const locate = (issuePath: (string | number)[]): Pick<ConfigIssue, 'line' | 'column'> => {
    if (!tree) return {};
    // The value at the path, or (a missing key) the nearest enclosing value that exists.
    for (let n = issuePath.length; n >= 0; n--) {
      const node: Node | undefined = findNodeAtLocation(tree, issuePath.slice(0, n));
      if (node) return at(node.offset);
    }
    return {};
  };

  const body = { ...(value as Record<string, unknown>) };
  delete body.$schema; // editors' schema hint, not part of the configuration
  const issues: ConfigIssue[] = [];
  // The body validated: with a placeholder for a file that could not be inlined, so the schema
  // does not add a second, misleading issue (missing rows) for it.
  const checked = structuredClone(body);
  await inlineLengthTrace(body, checked, baseDir, issues);

  const parsed = runConfigSchema.safeParse(checked);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const issuePath = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
      // One issue per unknown key, located at the key itself (a likely typo).
      if (issue.code === 'unrecognized_keys')
        for (const key of issue.keys) issues.push({ path: [...issuePath, key], message: 'unknown key' });
      else issues.push({ path: issuePath, message: issue.message });
    }
  }
  let plan: RunPlan | undefined;
  if (parsed.success) {
    plan = planRun(parsed.data);
    for (const issue of limitIssues(parsed.data, plan)) issues.push({ ...issue });
  }
  if (issues.length > 0 || !parsed.success || !plan)
    return { syntax: false, issues: issues.map((i) => ({ ...i, ...locate(i.path) })) };
  return { body, config: parsed.data, plan };
}

/**
 * `workload.lengths: {type: 'trace', file: 'x.csv', …}` → `rows` read from the etalon CSV, `file`
 * dropped. `body` gets the rows; `checked` (the copy validated) gets a placeholder on failure.
 */
async function inlineLengthTrace(
  body: Record<string, unknown>,
  checked: Record<string, unknown>,
  baseDir: string,
  issues: ConfigIssue[],
): Promise<void> {
  const lengths = objectAt(body, ['workload', 'lengths']);
  if (lengths?.type !== 'trace' || !('file' in lengths)) return;
  const checkedLengths = objectAt(checked, ['workload', 'lengths'])!;
  delete checkedLengths.file;
  const issue = (message: string) => {
    issues.push({ path: LENGTHS_FILE_PATH, message });
    checkedLengths.rows = [[1, 1]];
  };
  const file = lengths.file;
  if (typeof file !== 'string' || file === '')
    return issue('expected the path of an etalon length-trace CSV');
  if ('rows' in lengths) return issue('give either file or rows, not both');
  const resolved = path.resolve(baseDir, file);
  let csv: string;
  try {
    csv = await readFile(resolved, 'utf8');
  } catch (error) {
    return issue(`cannot read ${resolved}: ${describeFsError(error)}`);
  }
  let rows: [number, number][];
  try {
    rows = parseLengthTraceCsv(csv).rows;
  } catch (error) {
    return issue(`${file}: ${(error as Error).message.split('\n').join('; ')}`);
  }
  const { file: _file, ...rest } = lengths;
  (body.workload as Record<string, unknown>).lengths = { ...rest, rows };
  checkedLengths.rows = rows;
}

function objectAt(root: Record<string, unknown>, keys: string[]): Record<string, unknown> | undefined {
  let node: unknown = root;
  for (const key of keys) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node !== null && typeof node === 'object' && !Array.isArray(node)
    ? (node as Record<string, unknown>)
    : undefined;
}

/** Maps a character offset of `text` to a 1-based line and column. */
export function lineColumn(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}

/** `CommaExpected` → `comma expected`. */
export function words(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** The CLI's message: one line naming the file, then one indented line per issue. */
export function describeConfigIssues(file: string, issues: readonly ConfigIssue[], syntax = false): string {
  const count = `${issues.length} issue${issues.length === 1 ? '' : 's'}`;
  const head = syntax
    ? `${file} is not valid JSON(C) (${count}):`
    : `${file}: invalid run config (${count}):`;
  const lines = issues.map((i) => {
    const where = i.line !== undefined ? `line ${i.line}:${i.column}` : '';
    const name = formatPath(i.path);
    if (syntax) return `  ${where}: ${i.message}`;
    return `  ${name || '(config)'}${where ? ` (${where})` : ''}: ${i.message}`;
  });
  return [head, ...lines].join('\n');
}
