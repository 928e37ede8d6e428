import { readFile } from 'node:fs/promises';
import { predictPrefillUs } from '../core/profile/prefill-predictor.ts';
import { loadPrefillProfile } from '../core/profile/prefill-profile-file.ts';
import { CliError } from './cli-error.ts';
import { describeFsError } from './read-records.ts';

/** `--prefill-profile FILE` → predicted prefill µs for a prompt length; every problem is a CliError. */
export async function readPrefillPredictor(path: string): Promise<(promptTokens: number) => number> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read prefill profile ${path}: ${describeFsError(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError(`prefill profile ${path}: invalid JSON: ${(error as Error).message}`);
  }
  try {
    const { predictor } = loadPrefillProfile(json);
    return (promptTokens) => predictPrefillUs(predictor, promptTokens);
  } catch (error) {
    throw new CliError(`prefill profile ${path}: ${(error as Error).message.replace(/\s*\n\s*/g, '; ')}`);
  }
}
