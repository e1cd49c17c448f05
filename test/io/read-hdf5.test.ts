import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hdf5ArrayImage, readHdf5Arrays } from '../../src/io/read-hdf5.js';
import { writeHdf5 } from './hdf5-test-writer.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'micflow-hdf5-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('readHdf5Arrays', () => {
  describe('having a compressed volume with image, label and scribble as the WSL4MIS files hold them', () => {
    it('should read each array with its shape, type and values, and turn a [z, H, W] array into an x-fastest image of spacing 1', async () => {
      const file = path.join(scratch, 'patient001_frame01.h5');
      const image = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i / 10);
      const label = Uint8Array.from({ length: 24 }, (_, i) => i % 4);
      const scribble = Uint16Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? i % 4 : 4));
      await writeHdf5(file, { image: { data: image, shape: [2, 3, 4] }, label: { data: label, shape: [2, 3, 4] }, scribble: { data: scribble, shape: [2, 3, 4] } });

      const arrays = await readHdf5Arrays(file, ['image', 'label'], ['scribble', 'absent']);
      expect([...arrays.keys()]).toEqual(['image', 'label', 'scribble']);
      expect(arrays.get('image')).toMatchObject({ shape: [2, 3, 4], pixelType: 'float32' });
      expect(Array.from(arrays.get('image')!.data as Float32Array)).toEqual(Array.from(image));
      expect(arrays.get('label')!.pixelType).toBe('uint8');
      expect(Array.from(arrays.get('scribble')!.data as Uint16Array)).toEqual(Array.from(scribble));

      const volume = hdf5ArrayImage(arrays.get('image')!, file);
      expect(volume).toMatchObject({ size: [4, 3, 2], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], components: 1 });
      // x fastest: voxel (x=1, y=2, z=1) is array element [1][2][1].
      expect((volume.data as Float32Array)[1 + 4 * (2 + 3 * 1)]).toBeCloseTo(image[1 * 12 + 2 * 4 + 1]);
    });
  });

  describe('having bad files', () => {
    it('when a required dataset is missing, should name the file and the dataset', async () => {
      const file = path.join(scratch, 'no-label.h5');
      await writeHdf5(file, { image: { data: new Float32Array(4), shape: [2, 2] } });
      await expect(readHdf5Arrays(file, ['image', 'label'])).rejects.toThrow(/no-label\.h5 has no dataset "label" \(it holds "image"\)/);
    });

    it('when the file is not HDF5 or does not exist, should say so without calling the library', async () => {
      const file = path.join(scratch, 'text.h5');
      writeFileSync(file, 'not an hdf5 file at all');
      await expect(readHdf5Arrays(file, ['image'])).rejects.toThrow(/text\.h5: not an HDF5 file/);
      await expect(readHdf5Arrays(path.join(scratch, 'gone.h5'), ['image'])).rejects.toThrow(/gone\.h5 does not exist/);
    });
  });
});
