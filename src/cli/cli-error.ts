/** Exit codes: 0 success, 1 unexpected failure (a bug), 2 bad input or usage. */
export const EXIT_OK = 0;
export const EXIT_BUG = 1;
export const EXIT_BAD_INPUT = 2;

/** A problem with the user's input: printed as one line, exit code 2, no stack trace. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = EXIT_BAD_INPUT) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Formats validation issues as `where: what; …`, capped so the message stays one readable line. */
export function formatIssues(issues: readonly { where: string; message: string }[], limit = 8): string {
  const shown = issues.slice(0, limit).map((i) => (i.where ? `${i.where}: ${i.message}` : i.message));
  const rest = issues.length - shown.length;
  return shown.join('; ') + (rest > 0 ? `; and ${rest} more` : '');
}

/** A zod-style path as `a.b[3][0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}
