import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeEtalonDir } from './etalon-output.ts';
import { makeData, ROWS, useTempRoot } from './etalon-test-fixture.ts';

const temp = useTempRoot();
const { read } = temp;

describe('writeEtalonDir leaves no partial output', () => {
  it('refuses a target that is a file and leaves nothing behind', async () => {
    const target = path.join(temp.root(), 'taken');
    await writeFile(target, 'precious');
    await expect(writeEtalonDir(target, makeData())).rejects.toThrow(
      `${target}: it exists and is not a directory`,
    );
    expect(await readFile(target, 'utf8')).toBe('precious');
    expect(await readdir(temp.root())).toEqual(['taken']);
  });

  it('refuses a non-empty directory holding other files, naming it and them', async () => {
    const target = path.join(temp.root(), 'mine');
    await mkdir(target);
    await writeFile(path.join(target, 'notes.txt'), 'keep');
    await writeFile(path.join(target, 'ttft.csv'), 'old');
    await expect(writeEtalonDir(target, makeData())).rejects.toThrow(new RegExp(`${target}.*notes\\.txt`));
    expect((await readdir(target)).sort()).toEqual(['notes.txt', 'ttft.csv']);
    expect(await readdir(temp.root())).toEqual(['mine']);
  });

  it('refuses a directory whose etalon-named entry is itself a directory', async () => {
    const target = path.join(temp.root(), 'odd');
    await mkdir(path.join(target, 'ttft.csv'), { recursive: true });
    await expect(writeEtalonDir(target, makeData())).rejects.toThrow(/ttft\.csv/);
  });

  it('refuses a symbolic link instead of replacing the link', async () => {
    await mkdir(path.join(temp.root(), 'real'));
    const link = path.join(temp.root(), 'link');
    await symlink(path.join(temp.root(), 'real'), link);
    await expect(writeEtalonDir(link, makeData())).rejects.toThrow(`${link}: it is a symbolic link`);
    expect((await readdir(temp.root())).sort()).toEqual(['link', 'real']);
    expect(await readdir(path.join(temp.root(), 'real'))).toEqual([]);
  });

  it('fills an existing empty directory', async () => {
    const target = path.join(temp.root(), 'empty');
    await mkdir(target);
    await writeEtalonDir(target, makeData());
    expect(await readdir(target)).toHaveLength(17);
    expect(await readdir(temp.root())).toEqual(['empty']);
  });

  it('replaces a previous export as a whole', async () => {
    const target = path.join(temp.root(), 'run');
    await writeEtalonDir(target, makeData());
    await writeEtalonDir(target, makeData({ launchedRequests: 9 }));
    expect(await read(target, 'error_stats.json')).toMatch(/^\{"Number of Requests": 9,/);
    expect(await readdir(target)).toHaveLength(17);
    expect(await readdir(temp.root())).toEqual(['run']);
  });

  it('removes the temporary directory when a value fails mid-export', async () => {
    const target = path.join(temp.root(), 'run');
    const bad = makeData({ throughput: { tpotBased: 1, tbtBased: 1, fluid: Number.NaN } });
    // throughput_metrics.json is the last file, so 16 files were already written when it fails.
    await expect(writeEtalonDir(target, bad)).rejects.toThrow(/throughput\.fluid = NaN/);
    expect(await readdir(temp.root())).toEqual([]);
  });

  it('keeps the previous export intact when a new one fails', async () => {
    const target = path.join(temp.root(), 'run');
    await writeEtalonDir(target, makeData());
    const before = await read(target, 'error_stats.json');
    const bad = makeData({ requests: [{ ...ROWS[0]!, tbt_s: [0.01, Number.POSITIVE_INFINITY] }] });
    await expect(writeEtalonDir(target, bad)).rejects.toThrow(/requests\[0\]\.tbt\[1\]/);
    expect(await read(target, 'error_stats.json')).toBe(before);
    expect(await readdir(temp.root())).toEqual(['run']);
  });

  it('checks the curve length before touching the disk', async () => {
    const target = path.join(temp.root(), 'run');
    await expect(writeEtalonDir(target, makeData({ missRateCurve: [0.1] }))).rejects.toThrow(/100 values/);
    expect(await readdir(temp.root())).toEqual([]);
  });
});
