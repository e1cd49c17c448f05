import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { identityDirection } from '../../src/io/medical-image.js';
import { readImage, writeImage } from '../../src/io/read-image.js';
import { readImageSize } from '../../src/io/read-image-size.js';

const scratch = mkdtempSync(join(tmpdir(), 'micflow-image-size-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('readImageSize', () => {
  it.each(['fixtures/brain-mr-3d/label/colin27-left.nii.gz', 'fixtures/brain-mr-2d/noisy/z064.png'])('having %s, should give the size readImage gives', async (file) => {
    expect(await readImageSize(file)).toEqual((await readImage(file)).size);
  });

  it('having an uncompressed NIfTI of 3×4×5 and a 2D one stored as 6×7×1, should read their sizes from the header', async () => {
    const image = (size: number[]) => ({
      data: new Float32Array(size.reduce((a, b) => a * b, 1)),
      size,
      spacing: size.map(() => 1),
      origin: size.map(() => 0),
      direction: identityDirection(size.length),
      components: 1,
      pixelType: 'float32' as const,
    });
    await writeImage(join(scratch, 'v.nii'), image([3, 4, 5]));
    await writeImage(join(scratch, 's.nii.gz'), image([6, 7, 1]));
    expect(await readImageSize(join(scratch, 'v.nii'))).toEqual([3, 4, 5]);
    expect(await readImageSize(join(scratch, 's.nii.gz'))).toEqual((await readImage(join(scratch, 's.nii.gz'))).size);
    // Only the header is read: a .nii.gz cut right after it still gives its size (readImage would fail on it).
    writeFileSync(join(scratch, 'header-only.nii.gz'), gzipSync(gunzipSync(readFileSync(join(scratch, 's.nii.gz'))).subarray(0, 352)));
    await expect(readImage(join(scratch, 'header-only.nii.gz'))).rejects.toThrow();
    expect(await readImageSize(join(scratch, 'header-only.nii.gz'))).toEqual([6, 7, 1]);
  });

  it('having a missing or truncated file, should fail naming it', async () => {
    await expect(readImageSize(join(scratch, 'none.nii.gz'))).rejects.toThrow(/none\.nii\.gz/);
    writeFileSync(join(scratch, 'short.nii'), Buffer.alloc(10));
    await expect(readImageSize(join(scratch, 'short.nii'))).rejects.toThrow(/short\.nii/);
  });
});
