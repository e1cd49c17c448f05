import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import { identityDirection, type ComponentType, type MedicalImage, type PixelData } from './medical-image.js';

/** One numeric HDF5 dataset, row-major as stored (last axis fastest). */
export interface Hdf5Array {
  readonly name: string;
  readonly shape: readonly number[];
  readonly pixelType: ComponentType;
  readonly data: PixelData;
}

/** The HDF5 format signature; it starts the file, or a user block of 512, 1024, 2048... bytes before it. */
const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isHdf5File(file: string): boolean {
  return /\.(h5|hdf5|hdf)$/i.test(file);
}

/** Whether the file holds the HDF5 signature where the format puts it (checked before h5wasm, whose errors are a C stack dump). */
async function hasHdf5Signature(file: string, bytes: number): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(8);
    for (let offset = 0; offset + 8 <= bytes; offset = offset === 0 ? 512 : offset * 2) {
      await handle.read(head, 0, 8, offset);
      if (head.equals(SIGNATURE)) return true;
    }
    return false;
  } finally {
    await handle.close();
  }
}

type H5wasm = typeof import('h5wasm/node').default;
let h5wasmModule: Promise<H5wasm> | undefined;

/** h5wasm (the HDF5 C library compiled to WebAssembly), loaded on first use: only HDF5 imports pay for its start. */
function loadH5wasm(): Promise<H5wasm> {
  h5wasmModule ??= import('h5wasm/node').then(async (m) => {
    await m.default.ready;
    return m.default;
  });
  return h5wasmModule;
}

function componentTypeOf(metadata: { type: number; size: number; signed: boolean }): ComponentType | undefined {
  if (metadata.type === 1) return metadata.size === 4 ? 'float32' : metadata.size === 8 ? 'float64' : undefined;
  if (metadata.type !== 0) return undefined;
  const bits = metadata.size * 8;
  if (![8, 16, 32, 64].includes(bits)) return undefined;
  return `${metadata.signed ? 'int' : 'uint'}${bits}` as ComponentType;
}

/**
 * Reads numeric datasets of an HDF5 file (with h5wasm; chunked and deflate-compressed datasets included) by name,
 * e.g. the `image`, `label` and `scribble` of the SSL4MIS/WSL4MIS volumes. `optional` names that are absent are left
 * out of the result; a `required` one that is absent, a name that is a group, or a dataset that is not a numeric
 * array (strings, compounds, float16) fails.
 *
 * @throws MicflowError('invalid-data') naming the file and the dataset.
 */
export async function readHdf5Arrays(file: string, required: readonly string[], optional: readonly string[] = []): Promise<Map<string, Hdf5Array>> {
  const absolute = path.resolve(file);
  const info = await stat(absolute).catch(() => undefined);
  if (!info) throw new MicflowError('invalid-data', `HDF5 file ${file} does not exist.`);
  if (!info.isFile()) throw new MicflowError('invalid-data', `HDF5 file ${file} is not a regular file.`);
  if (!(await hasHdf5Signature(absolute, info.size))) throw new MicflowError('invalid-data', `Could not read ${file}: not an HDF5 file (no HDF5 signature).`);
  const h5wasm = await loadH5wasm();
  let h5: InstanceType<H5wasm['File']>;
  try {
    h5 = new h5wasm.File(absolute, 'r');
  } catch (error) {
    throw new MicflowError('invalid-data', `Could not open HDF5 file ${file}.`, [error instanceof Error ? error.message : String(error)]);
  }
  try {
    const present = new Set(h5.keys());
    const out = new Map<string, Hdf5Array>();
    for (const name of [...required, ...optional]) {
      if (!present.has(name)) {
        if (required.includes(name)) {
          throw new MicflowError('invalid-data', `${file} has no dataset "${name}" (it holds ${[...present].map((k) => `"${k}"`).join(', ') || 'nothing'}).`);
        }
        continue;
      }
      const entity = h5.get(name);
      if (!(entity instanceof h5wasm.Dataset)) throw new MicflowError('invalid-data', `${file}: "${name}" is not a dataset.`);
      const pixelType = componentTypeOf(entity.metadata);
      const shape = entity.shape ?? [];
      const value = entity.value;
      if (!pixelType || !ArrayBuffer.isView(value)) {
        throw new MicflowError('invalid-data', `${file}: dataset "${name}" is not a numeric array of a supported type (dtype ${JSON.stringify(entity.dtype)}).`);
      }
      const data = (value as PixelData).slice() as PixelData;
      if (data.length !== shape.reduce((a, b) => a * b, 1)) {
        throw new MicflowError('invalid-data', `${file}: dataset "${name}" of shape [${shape.join(', ')}] holds ${data.length} values.`);
      }
      out.set(name, { name, shape: [...shape], pixelType, data });
    }
    return out;
  } finally {
    h5.close();
  }
}

/**
 * An HDF5 array as an image: a row-major [z, y, x] (or [y, x]) array is ITK size [x, y, z] with the same data. HDF5
 * files of this kind store no geometry, so the spacing is `spacing` (default 1 per axis, x first), the origin 0 and the
 * direction the identity.
 *
 * @throws MicflowError('invalid-data') for an array that is not 2D or 3D.
 */
export function hdf5ArrayImage(array: Hdf5Array, file: string, spacing?: readonly number[]): MedicalImage {
  const dimension = array.shape.length;
  if (dimension !== 2 && dimension !== 3) {
    throw new MicflowError('invalid-data', `${file}: dataset "${array.name}" has shape [${array.shape.join(', ')}]; expected a 2D [H, W] or 3D [z, H, W] array.`);
  }
  return {
    data: array.data,
    size: [...array.shape].reverse(),
    spacing: spacing ? [...spacing] : new Array<number>(dimension).fill(1),
    origin: new Array<number>(dimension).fill(0),
    direction: identityDirection(dimension),
    components: 1,
    pixelType: array.pixelType,
  };
}
