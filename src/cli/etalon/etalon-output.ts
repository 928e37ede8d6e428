import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ETALON_FILE_NAMES, type EtalonExportData, etalonFiles } from './etalon-files.ts';

export type { EtalonExportData, EtalonRequestRow } from './etalon-files.ts';
export { cdfRows, ETALON_FILE_NAMES } from './etalon-files.ts';

type TargetState = 'absent' | 'empty' | 'previous-export';

/**
 * What is at `target` now. A directory may be replaced when it is empty or holds nothing but
 * regular files with export names (a previous export); anything else is someone's data, so refuse.
 */
async function inspectTarget(target: string, shownAs: string): Promise<TargetState> {
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  if (stats.isSymbolicLink()) {
    throw new Error(`cannot export etalon files to ${shownAs}: it is a symbolic link; give the real path`);
  }
  if (!stats.isDirectory()) {
    throw new Error(`cannot export etalon files to ${shownAs}: it exists and is not a directory`);
  }
  const entries = await readdir(target, { withFileTypes: true });
  if (entries.length === 0) return 'empty';
  const foreign = entries.filter((e) => !(e.isFile() && ETALON_FILE_NAMES.has(e.name))).map((e) => e.name);
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? ', …' : '');
    throw new Error(
      `cannot export etalon files to ${shownAs}: the directory is not empty and holds files that are not ` +
        `from an etalon export (${shown}); choose another directory or remove them`,
    );
  }
  return 'previous-export';
}

/** Moves the finished temp dir to `target`; a replaced previous export is restored if the move fails. */
async function moveIntoPlace(tempDir: string, target: string, state: TargetState): Promise<void> {
  if (state === 'absent') return rename(tempDir, target);
  if (state === 'empty') {
    await rmdir(target);
    return rename(tempDir, target);
  }
  const backup = path.join(
    path.dirname(target),
    `.${path.basename(target)}.old-${randomBytes(4).toString('hex')}`,
  );
  await rename(target, backup);
  try {
    await rename(tempDir, target);
  } catch (err) {
    await rename(backup, target);
    throw err;
  }
  await rm(backup, { recursive: true, force: true });
}

/**
 * Writes etalon's per-run file set (no PNGs) to `dir` and returns the paths written, in etalon's
 * write order. Everything goes into a temporary sibling directory first and is renamed into place
 * at the end, so `dir` ends up either complete or untouched; on failure the temporary directory is
 * removed. If `dir` exists it must be empty or hold only files of a previous export, which are
 * replaced as a whole; otherwise this throws an Error naming `dir`. Missing parents are created.
 */
export async function writeEtalonDir(dir: string, data: EtalonExportData): Promise<string[]> {
  const files = etalonFiles(data);
  const target = path.resolve(dir);
  const state = await inspectTarget(target, dir);
  const parent = path.dirname(target);
  await mkdir(parent, { recursive: true });
  const tempDir = await mkdtemp(path.join(parent, `.${path.basename(target)}.tmp-`));
  try {
    for (const file of files) {
      await writeFile(path.join(tempDir, file.name), file.render(), { flag: 'wx' });
    }
    await moveIntoPlace(tempDir, target, state);
  } catch (err) {
    await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
  return files.map((file) => path.join(dir, file.name));
}
