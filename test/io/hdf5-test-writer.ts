import path from 'node:path';
import h5wasm from 'h5wasm/node';

export interface Hdf5TestDataset {
  readonly data: Float32Array | Uint8Array | Uint16Array | Int16Array;
  readonly shape: readonly number[];
}

const DTYPE: Record<string, string> = { Float32Array: '<f', Uint8Array: '<B', Uint16Array: '<H', Int16Array: '<h' };

/**
 * Writes a small HDF5 file with h5wasm (the library micflow reads them with): one dataset per entry, gzip-compressed
 * in one chunk as h5py's `compression="gzip"` stores the SSL4MIS/WSL4MIS volumes.
 */
export async function writeHdf5(file: string, datasets: Record<string, Hdf5TestDataset>): Promise<void> {
  await h5wasm.ready;
  const h5 = new h5wasm.File(path.resolve(file), 'w');
  try {
    for (const [name, { data, shape }] of Object.entries(datasets)) {
      h5.create_dataset({ name, data, shape: [...shape], dtype: DTYPE[data.constructor.name], chunks: [...shape], compression: 'gzip', compression_opts: 4 });
    }
  } finally {
    h5.close();
  }
}
