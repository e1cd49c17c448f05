import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { MedicalImage, PixelData } from '../../src/io/medical-image.js';
import { writeImage } from '../../src/io/read-image.js';
import { writeHdf5 } from '../io/hdf5-test-writer.js';

/** A rotation about z by 90° with the z axis flipped (an oblique-free but non-identity direction), row-major. */
export const TURNED = [0, -1, 0, 1, 0, 0, 0, 0, -1];

/** A tiny 3D image, ITK size [x, y, z], values from `value(x, y, z)`. */
export function volume(
  size: readonly [number, number, number],
  value: (x: number, y: number, z: number) => number,
  options: { type?: 'float32' | 'uint8' | 'int16'; spacing?: number[]; origin?: number[]; direction?: number[] } = {},
): MedicalImage {
  const [X, Y, Z] = size;
  const type = options.type ?? 'float32';
  const data: PixelData = type === 'float32' ? new Float32Array(X * Y * Z) : type === 'uint8' ? new Uint8Array(X * Y * Z) : new Int16Array(X * Y * Z);
  for (let z = 0; z < Z; z++) for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) data[x + X * (y + Y * z)] = value(x, y, z);
  return {
    data,
    size: [...size],
    spacing: options.spacing ?? [0.8, 0.9, 2.5],
    origin: options.origin ?? [10, -20, 5],
    direction: options.direction ?? TURNED,
    components: 1,
    pixelType: type,
  };
}

/** Labels 0..3 in bands along x (so every class is present in every slice). */
export const bands = (x: number) => Math.min(3, Math.floor(x / 3));

/**
 * An SSL4MIS/WSL4MIS-style folder: patients × frames .h5 files with image (z × H × W float32), label (uint8) and
 * scribble (uint16, 4 = unannotated); H = 8, W = 12, z = 3.
 */
export async function writeHdf5Volumes(folder: string, patients: readonly number[], frames: readonly number[] = [1, 12]): Promise<void> {
  mkdirSync(folder, { recursive: true });
  const [Z, H, W] = [3, 8, 12];
  for (const p of patients) {
    for (const f of frames) {
      const image = Float32Array.from({ length: Z * H * W }, (_, i) => ((i * 7 + p + f) % 97) / 97);
      const label = Uint8Array.from({ length: Z * H * W }, (_, i) => bands(i % W));
      const scribble = Uint16Array.from(label, (v, i) => (Math.floor(i / W) % H === 4 ? v : 4));
      const name = `patient${String(p).padStart(3, '0')}_frame${String(f).padStart(2, '0')}.h5`;
      await writeHdf5(path.join(folder, name), {
        image: { data: image, shape: [Z, H, W] },
        label: { data: label, shape: [Z, H, W] },
        scribble: { data: scribble, shape: [Z, H, W] },
      });
    }
  }
}

/** A CSV file as header + rows of column → value (no quoting in these tests). */
export function readCsv(file: string): { header: string[]; rows: Record<string, string>[] } {
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const header = head.split(',');
  return { header, rows: lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v]))) };
}

/** Writes an image, creating its folder. */
export async function put(file: string, image: MedicalImage): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  await writeImage(file, image);
}

/** Entries of a folder's parent that start with "." and hold "partial": temporary folders a failed write left behind. */
export function leftovers(parent: string): string[] {
  return readdirSync(parent).filter((n) => n.startsWith('.') && n.includes('partial'));
}
