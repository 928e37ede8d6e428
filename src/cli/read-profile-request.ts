import { readFile } from 'node:fs/promises';
import { findNodeAtLocation, type ParseError, parse, parseTree, printParseErrorCode } from 'jsonc-parser';
import { type ProfileRequest, profileRequestSchema } from '../core/profile/profile-request.ts';
import { CliError, EXIT_BAD_INPUT } from './cli-error.ts';
import { describeFsError } from './read-records.ts';
import { type ConfigIssue, describeConfigIssues, lineColumn, words } from './read-run-config.ts';

// Reads a profile request file (.json or .jsonc) and validates it exactly as `POST /v1/profiles`
// will, every issue at once with its path and line, before anything is sent.

export interface LoadedProfileRequest {
  /** The body to POST (defaults not applied). */
  body: Record<string, unknown>;
  request: ProfileRequest;
}

/** Throws a CliError (exit 2) listing every issue. */
export async function readProfileRequest(file: string): Promise<LoadedProfileRequest> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${describeFsError(error)}`);
  }
  const errors: ParseError[] = [];
  const options = { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false };
  const value: unknown = parse(text, errors, options);
  const at = lineColumn(text);
  const fail = (issues: ConfigIssue[], syntax: boolean): never => {
    throw new CliError(
      describeConfigIssues(file, issues, syntax).replace('run config', 'profile request'),
      EXIT_BAD_INPUT,
    );
  };
  if (errors.length > 0)
    fail(
      errors.map((e) => ({ path: [], message: words(printParseErrorCode(e.error)), ...at(e.offset) })),
      true,
    );
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    fail([{ path: [], message: 'the profile request must be a JSON object' }], true);
  const body = { ...(value as Record<string, unknown>) };
  delete body.$schema;
  const parsed = profileRequestSchema.safeParse(body);
  if (parsed.success) return { body, request: parsed.data };
  const tree = parseTree(text, [], options);
  return fail(
    parsed.error.issues.map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
      for (let n = path.length; n >= 0 && tree; n--) {
        const node = findNodeAtLocation(tree, path.slice(0, n));
        if (node) return { path, message: issue.message, ...at(node.offset) };
      }
      return { path, message: issue.message };
    }),
    false,
  );
}
