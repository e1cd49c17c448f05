import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeValidationOverlay,
  encodeValidationOverlay,
  readValidationOverlay,
  validationOverlayOf,
  writeValidationOverlay,
} from '../../src/io/validation-overlay-file.js';

const dir = mkdtempSync(join(tmpdir(), 'micflow-overlay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('validation overlays', () => {
  describe('having a 2×2 two-channel image', () => {
    // channel 0: -1, 0, 1, 3 → (v + 1) / 4 · 255 = 0, 63.75, 127.5, 255; channel 1 is ignored.
    const image = { shape: [2, 2, 2], data: Float32Array.from([-1, 9, 0, 9, 1, 9, 3, 9]) };

    it('should scale channel 0 from its minimum to its maximum, rounding to bytes', () => {
      const overlay = validationOverlayOf(image, [0, 1, 2, 1], [0, 2, 2, 1], 3);
      expect(overlay.shape).toEqual([2, 2]);
      expect([...overlay.image]).toEqual([0, 64, 128, 255]);
      expect([...overlay.label]).toEqual([0, 1, 2, 1]);
      expect([...overlay.prediction]).toEqual([0, 2, 2, 1]);
    });

    it('should map a constant image to zeros', () => {
      const overlay = validationOverlayOf({ shape: [1, 2, 1], data: Float32Array.from([5, 5]) }, [0, 0], [0, 0], 2);
      expect([...overlay.image]).toEqual([0, 0]);
    });

    describe('when the label holds another number of pixels', () => {
      it('should refuse naming both sizes', () => {
        expect(() => validationOverlayOf(image, [0, 1], [0, 1, 1, 1], 2)).toThrow(/label \(2\) and prediction \(4\).*2×2/);
      });
    });
  });

  describe('having a 3D overlay written to a file', () => {
    const overlay = {
      shape: [2, 1, 3],
      classes: 4,
      image: Uint8Array.from([0, 10, 20, 30, 40, 50]),
      label: Uint8Array.from([0, 1, 2, 3, 0, 1]),
      prediction: Uint8Array.from([3, 2, 1, 0, 3, 2]),
    };

    it('should lay the file out as gzip of MFOV, the header length, the JSON header and three planes', () => {
      const raw = gunzipSync(encodeValidationOverlay(overlay));
      expect(raw.toString('latin1', 0, 4)).toBe('MFOV');
      const headerLength = raw.readUInt32LE(4);
      expect(JSON.parse(raw.toString('utf8', 8, 8 + headerLength))).toEqual({ shape: [2, 1, 3], classes: 4 });
      expect([...raw.subarray(8 + headerLength)]).toEqual([...overlay.image, ...overlay.label, ...overlay.prediction]);
    });

    it('should read back what was written, leaving no temporary file', () => {
      const file = join(dir, 'nested', 'a.mfov');
      writeValidationOverlay(file, overlay);
      const read = readValidationOverlay(file);
      expect(read.shape).toEqual([2, 1, 3]);
      expect(read.classes).toBe(4);
      expect([...read.image]).toEqual([...overlay.image]);
      expect([...read.label]).toEqual([...overlay.label]);
      expect([...read.prediction]).toEqual([...overlay.prediction]);
      expect(readdirSync(join(dir, 'nested'))).toEqual(['a.mfov']);
    });

    describe('when the file is not an overlay', () => {
      it('should name the file', () => {
        const file = join(dir, 'bad.mfov');
        writeFileSync(file, 'hello');
        expect(() => readValidationOverlay(file)).toThrow(new RegExp(`${file}: not a validation overlay`));
        expect(() => decodeValidationOverlay(encodeValidationOverlay(overlay).subarray(0, 20), 'cut.mfov')).toThrow(/cut\.mfov/);
      });
    });
  });
});
