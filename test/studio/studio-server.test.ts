import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage, writeImage } from '../../src/io/read-image.js';
import { parseNifti } from '../../src/io/parse-nifti.js';
import { encodeNifti } from '../../src/io/encode-nifti.js';
import type { MedicalImage } from '../../src/io/medical-image.js';
import { acceptedLabelFileOf, encodeScribble, scribbleFileOf, sliceFileOf, STUDIO_SCRIBBLE_LIST } from '../../src/studio/studio-files.js';
import { startStudioServer, studioImagesOf, studioImagesOfList, type StudioServer } from '../../src/studio/studio-server.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/brain-mr-2d');

/** One HTTP request to the studio: status and body text (the Host header can be forged, fetch cannot). */
function call(port: number, method: string, path: string, options: { body?: Uint8Array; headers?: Record<string, string> } = {}): Promise<{ status: number; text: string }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => done({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', fail);
    req.end(options.body);
  });
}
const WRITE = { 'x-micflow-studio': '1' };
const VOLUME: MedicalImage = { data: Float32Array.from({ length: 60 }, (_, i) => i), size: [4, 3, 5], spacing: [1, 1, 2], origin: [0, 0, 10], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], components: 1, pixelType: 'float32' };

describe('the studio server', () => {
  let folder: string;
  let bundle: string;
  let server: StudioServer;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'micflow-studio-server-'));
    mkdirSync(join(folder, 'image'));
    mkdirSync(join(folder, 'labels'));
    copyFileSync(join(FIXTURE, 'image/z044.png'), join(folder, 'image/z044.png'));
    copyFileSync(join(FIXTURE, 'label/z044.png'), join(folder, 'labels/old.png'));
    writeFileSync(join(folder, 'secret.txt'), 'not for the page');
    // A 4×3×5 volume, spacing 2 along z.
    writeFileSync(join(folder, 'image/volume.nii'), encodeNifti(VOLUME));
    // A MetaImage volume (itk-wasm's reader and writer, in Node and in the tab).
    await writeImage(join(folder, 'image/ct.mha'), { ...VOLUME, spacing: [0.5, 0.7, 3], origin: [4, -2, 1] });
    bundle = join(folder, '..', `${folder.split('/').pop()}-bundle`);
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'studio.html'), '<!doctype html>');
    server = await startStudioServer({ folder, classNames: ['background', 'a', 'b'], port: 0, bundleDirectory: bundle });
  });
  afterAll(async () => {
    await server.close();
    rmSync(folder, { recursive: true, force: true });
    rmSync(bundle, { recursive: true, force: true });
  });

  describe('having a folder of images', () => {
    it('should list its images but none of the studio\'s own folders', () => {
      expect(studioImagesOf(folder)).toEqual(['image/ct.mha', 'image/volume.nii', 'image/z044.png']);
    });

    it('with a dataset list, should take the images it names, and refuse a row outside the folder or not an image, naming the line', () => {
      writeFileSync(join(folder, 'some.csv'), 'image,label\nimage/z044.png,labels/old.png\n');
      expect(studioImagesOfList(folder, 'some.csv')).toEqual(['image/z044.png']);
      writeFileSync(join(folder, 'bad.csv'), 'image\nimage/z044.png\n../elsewhere.png\n');
      expect(() => studioImagesOfList(folder, 'bad.csv')).toThrow(`bad.csv line 3: ../elsewhere.png is outside ${folder}; list images relative to the folder`);
      writeFileSync(join(folder, 'bad.csv'), 'image\nsecret.txt\n');
      expect(() => studioImagesOfList(folder, 'bad.csv')).toThrow('bad.csv line 2: secret.txt is not an image the studio opens (PNG, NIfTI, DICOM .dcm, MetaImage .mha, NRRD .nrrd)');
      expect(() => studioImagesOfList(folder, 'none.csv')).toThrow('--list none.csv: cannot read it (ENOENT)');
    });

    it('when asked for a file that is not an image or a studio file, or outside the folder, should refuse it', async () => {
      expect((await call(server.port, 'GET', '/api/file?path=secret.txt')).status).toBe(404);
      expect((await call(server.port, 'GET', '/api/file?path=../secret.txt')).status).toBe(404);
      expect((await call(server.port, 'GET', '/api/file?path=image/z044.png')).status).toBe(200);
      expect((await call(server.port, 'GET', '/..%2f..%2fetc%2fpasswd')).status).toBe(404);
    });

    it('when the Host is not loopback (DNS rebinding), should answer 421', async () => {
      expect((await call(server.port, 'GET', '/api/session', { headers: { host: 'evil.example:80' } })).status).toBe(421);
    });
  });

  describe('when the page writes', () => {
    const scribbleOf = async (values: (n: number) => number) => {
      const image = await readImage(join(folder, 'image/z044.png'));
      const [columns, rows] = image.size;
      return encodeScribble(image, 'image/z044.png', Uint8Array.from({ length: columns * rows }, (_, i) => values(i)));
    };

    it('should refuse a write without the studio header (a cross-site form), writing nothing', async () => {
      const response = await call(server.port, 'PUT', '/api/scribble?image=image/z044.png', { body: await scribbleOf(() => 3) });
      expect(response.status).toBe(403);
      expect(existsSync(join(folder, scribbleFileOf('image/z044.png')))).toBe(false);
    });

    it('should refuse a scribble with a value beyond the unannotated one, naming it, and write nothing', async () => {
      const response = await call(server.port, 'PUT', '/api/scribble?image=image/z044.png', { body: await scribbleOf((i) => (i === 7 ? 4 : 3)), headers: WRITE });
      expect(response.status).toBe(400);
      expect(JSON.parse(response.text).error).toBe('scribble of image/z044.png holds 4; values are classes 0..2 or 3 (unannotated)');
      expect(existsSync(join(folder, scribbleFileOf('image/z044.png')))).toBe(false);
    });

    it('should refuse an image that is not in the folder', async () => {
      const response = await call(server.port, 'PUT', '/api/scribble?image=secret.txt', { body: new Uint8Array(4), headers: WRITE });
      expect(response.status).toBe(400);
      expect(JSON.parse(response.text).error).toBe('image=secret.txt: not one of the folder\'s images');
    });

    it('should write a good scribble verbatim and list it as PyMIC\'s image,label list', async () => {
      const body = await scribbleOf((i) => (i < 10 ? 1 : 3));
      expect((await call(server.port, 'PUT', '/api/scribble?image=image/z044.png', { body, headers: WRITE })).status).toBe(200);
      const file = join(folder, scribbleFileOf('image/z044.png'));
      expect(new Uint8Array(readFileSync(file))).toEqual(body);
      expect(Array.from(parseNifti(new Uint8Array(readFileSync(file)), file).data as Uint8Array).slice(8, 12)).toEqual([1, 1, 3, 3]);
      expect(readFileSync(join(folder, STUDIO_SCRIBBLE_LIST), 'utf8')).toBe('image,label\nimage/z044.png,studio/scribble/image__z044.nii\n');
    });

    it('having a volume, should write its stroked slices as 2D files beside the scribble, listed, and remove a slice whose strokes are erased', async () => {
      const scribble = (slices: number[]) => encodeScribble(VOLUME, 'image/volume.nii', Uint8Array.from({ length: 60 }, (_, i) => (slices.includes(Math.floor(i / 12)) && i % 12 === 5 ? 2 : 3)));
      expect((await call(server.port, 'PUT', '/api/scribble?image=image/volume.nii', { body: scribble([1, 3]), headers: WRITE })).status).toBe(200);
      const list = () => readFileSync(join(folder, STUDIO_SCRIBBLE_LIST), 'utf8');
      expect(list()).toBe(
        'image,label\nimage/z044.png,studio/scribble/image__z044.nii\n' +
          `${sliceFileOf('image/volume.nii', 1, 'image')},${sliceFileOf('image/volume.nii', 1, 'scribble')}\n` +
          `${sliceFileOf('image/volume.nii', 3, 'image')},${sliceFileOf('image/volume.nii', 3, 'scribble')}\n`,
      );
      const slice = parseNifti(new Uint8Array(readFileSync(join(folder, sliceFileOf('image/volume.nii', 3, 'image')))), 'slice');
      expect(Array.from(slice.data as Float32Array)).toEqual(Array.from({ length: 12 }, (_, i) => 36 + i));
      expect(slice.origin).toEqual([0, 0, 16]);
      const labels = parseNifti(new Uint8Array(readFileSync(join(folder, sliceFileOf('image/volume.nii', 3, 'scribble')))), 'slice scribble');
      expect(Array.from(labels.data as Uint8Array)).toEqual(Array.from({ length: 12 }, (_, i) => (i === 5 ? 2 : 3)));

      expect((await call(server.port, 'PUT', '/api/scribble?image=image/volume.nii', { body: scribble([3]), headers: WRITE })).status).toBe(200);
      expect(existsSync(join(folder, sliceFileOf('image/volume.nii', 1, 'image')))).toBe(false);
      expect(existsSync(join(folder, sliceFileOf('image/volume.nii', 1, 'scribble')))).toBe(false);
      expect(list()).not.toContain('__z0001');
      expect(list()).toContain('__z0003');
      expect((await call(server.port, 'DELETE', '/api/scribble?image=image/volume.nii', { headers: WRITE })).status).toBe(200);
      expect(existsSync(join(folder, sliceFileOf('image/volume.nii', 3, 'image')))).toBe(false);
      expect(list()).toBe('image,label\nimage/z044.png,studio/scribble/image__z044.nii\n');
    });

    it('should refuse a label of the wrong size or with a class out of range, naming the image', async () => {
      const wrong = await call(server.port, 'PUT', '/api/label?image=image/z044.png', { body: new Uint8Array(5), headers: WRITE });
      expect(JSON.parse(wrong.text).error).toMatch(/^label of image\/z044\.png: 5 bytes for a \d+×\d+ image/);
      const image = await readImage(join(folder, 'image/z044.png'));
      const out = await call(server.port, 'PUT', '/api/label?image=image/z044.png', { body: new Uint8Array(image.size[0] * image.size[1]).fill(3), headers: WRITE });
      expect(JSON.parse(out.text).error).toBe('label of image/z044.png holds class 3; the classes are 0..2');
      expect(existsSync(join(folder, 'labels/image/z044.png'))).toBe(false);
    });

    it('having a MetaImage volume, should write its accepted label as MetaImage in its geometry; a DICOM image\'s label as NIfTI', async () => {
      const label = Uint8Array.from({ length: 60 }, (_, i) => i % 3);
      expect((await call(server.port, 'PUT', '/api/label?image=image/ct.mha', { body: label, headers: WRITE })).status).toBe(200);
      const written = await readImage(join(folder, 'labels/image/ct.mha'));
      expect({ size: written.size, spacing: written.spacing, origin: written.origin }).toEqual({ size: [4, 3, 5], spacing: [0.5, 0.7, 3], origin: [4, -2, 1] });
      expect(Array.from(written.data as Uint8Array)).toEqual(Array.from(label));
      expect(readFileSync(join(folder, 'studio/accepted.csv'), 'utf8')).toBe('image,label\nimage/ct.mha,labels/image/ct.mha\n');
      expect(acceptedLabelFileOf('scan/slice 7.DCM')).toBe('labels/scan/slice 7.nii.gz');
    });

    it('should refuse an uploaded run whose options do not validate, naming the key, and create no run', async () => {
      const header = new TextEncoder().encode(JSON.stringify({ options: { classNames: ['a'] }, manifest: {} }));
      const body = new Uint8Array(4 + header.length);
      new DataView(body.buffer).setUint32(0, header.length, true);
      body.set(header, 4);
      const response = await call(server.port, 'POST', '/api/runs', { body, headers: WRITE });
      expect(response.status).toBe(400);
      const error = JSON.parse(response.text) as { error: string; details: string[] };
      expect(error.error).toMatch(/^the run's studio options do not validate/);
      expect(error.details.join('\n')).toMatch(/network: /);
      expect(error.details.join('\n')).toMatch(/classNames: /);
      expect(existsSync(join(folder, 'studio-runs'))).toBe(false);
    });
  });
});
