import { access } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { defer, map, type Observable } from 'rxjs';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { Sample, SampleStream } from '../../graph/sample.js';
import { SampleStreamStage } from '../../graph/stage.js';
import { readCsvTable } from '../../io/read-csv-table.js';
import { readImage } from '../../io/read-image.js';
import { toFloat32, type MedicalImage } from '../../io/medical-image.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';

const csvDatasetParams = z
  .object({
    /** The dataset list, relative to the run's data root (`--data`). */
    csv: z.string().min(1),
    /** Columns holding image files; several columns are stacked as channels (modalities). */
    imageColumns: z.array(z.string().min(1)).min(1).default(['image']),
    /** Column holding the label file, or null for an unlabelled list. */
    labelColumn: z.string().min(1).nullable().default('label'),
    /** Keep decoded images in memory after their first read. */
    cache: z.boolean().default(true),
  })
  .strict();
export type CsvDatasetParams = z.infer<typeof csvDatasetParams>;

interface DecodedCase {
  readonly image: Sample['image'];
  readonly label?: Sample['label'];
  readonly spacing: [number, number];
}

/**
 * A dataset read from a PyMIC-style CSV list (columns `image` and `label` by default; paths relative to the data root).
 * The list is read and every file's existence checked when the run starts, so a wrong path fails before training with
 * the file and line; images are decoded on first use (itk-wasm: PNG, NIfTI, NRRD, MetaImage…) and cached.
 */
export class CsvDataset extends SampleStreamStage<CsvDatasetParams> {
  static readonly className = 'CsvDataset';
  static readonly description = 'Images (and labels) listed in a PyMIC-style CSV file, decoded on demand and cached';
  static readonly paramsSchema = csvDatasetParams;
  static readonly inputs = {};
  static readonly outputs = { samples: { type: 'samples', description: 'one sample per CSV row' } } as const;

  override async streams(): Promise<Record<string, SampleStream>> {
    const root = this.context.run.dataRoot;
    const csvPath = resolve(root, this.params.csv);
    const columns = [...this.params.imageColumns, ...(this.params.labelColumn ? [this.params.labelColumn] : [])];
    const table = await readCsvTable(csvPath, columns);
    const cases = table.rows.map((row) => ({
      origin: `${csvPath} line ${row.line}`,
      id: row.values[this.params.imageColumns[0]].replace(/^.*[\\/]/, '').replace(/\.(nii\.gz|[a-z0-9]+)$/i, ''),
      images: this.params.imageColumns.map((c) => resolveDataPath(root, row.values[c])),
      label: this.params.labelColumn ? resolveDataPath(root, row.values[this.params.labelColumn]) : undefined,
    }));
    const missing: string[] = [];
    await Promise.all(
      cases.flatMap((c) =>
        [...c.images, ...(c.label ? [c.label] : [])].map((file) =>
          access(file).catch(() => missing.push(`${c.origin}: ${file} does not exist`)),
        ),
      ),
    );
    if (missing.length) {
      throw new MicflowError('invalid-data', `${csvPath}: ${missing.length} listed file${missing.length > 1 ? 's do' : ' does'} not exist`, missing.sort().slice(0, 10));
    }
    const cache = new Map<number, Promise<DecodedCase>>();
    const decode = (index: number): Promise<DecodedCase> => {
      let decoded = cache.get(index);
      if (!decoded) {
        decoded = decodeCase(cases[index].images, cases[index].label, cases[index].origin);
        if (this.params.cache) cache.set(index, decoded);
      }
      return decoded;
    };
    return {
      samples: {
        size: cases.length,
        origin: csvPath,
        read(index: number, random: SeededRandom): Observable<Sample> {
          return defer(() => decode(index)).pipe(
            map((decoded) => ({
              id: cases[index].id,
              origin: cases[index].origin,
              image: decoded.image,
              label: decoded.label,
              spacing: decoded.spacing,
              random,
            })),
          );
        },
      },
    };
  }
}

function resolveDataPath(root: string, value: string): string {
  return isAbsolute(value) ? value : resolve(root, value);
}

async function decodeCase(imageFiles: readonly string[], labelFile: string | undefined, origin: string): Promise<DecodedCase> {
  const images = await Promise.all(imageFiles.map((f) => readImage(f)));
  const [height, width] = planeShape(images[0], imageFiles[0], origin);
  let channels = 0;
  for (const [i, image] of images.entries()) {
    const [h, w] = planeShape(image, imageFiles[i], origin);
    if (h !== height || w !== width) {
      throw new MicflowError('invalid-data', `${origin}: ${imageFiles[i]} is ${w}×${h}, but ${imageFiles[0]} is ${width}×${height}`);
    }
    channels += image.components;
  }
  const data = new Float32Array(height * width * channels);
  let offset = 0;
  for (const image of images) {
    const values = toFloat32(image);
    const c = image.components;
    for (let p = 0; p < height * width; p++) for (let k = 0; k < c; k++) data[p * channels + offset + k] = values[p * c + k];
    offset += c;
  }
  const spacing: [number, number] = [images[0].spacing[1] ?? 1, images[0].spacing[0] ?? 1];
  let label: DecodedCase['label'];
  if (labelFile) {
    const labelImage = await readImage(labelFile);
    const [h, w] = planeShape(labelImage, labelFile, origin);
    if (h !== height || w !== width) {
      throw new MicflowError('invalid-data', `${origin}: label ${labelFile} is ${w}×${h}, but image ${imageFiles[0]} is ${width}×${height}`);
    }
    if (labelImage.components !== 1) {
      throw new MicflowError('invalid-data', `${origin}: label ${labelFile} has ${labelImage.components} components per pixel; a label map has one`);
    }
    const values = toFloat32(labelImage);
    const ints = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isInteger(v) || v < 0) {
        throw new MicflowError('invalid-data', `${origin}: label ${labelFile} holds ${v}, not a class index (a non-negative integer)`);
      }
      ints[i] = v;
    }
    label = { data: ints, shape: [height, width] };
  }
  return { image: { data, shape: [height, width, channels] }, label, spacing };
}

/** [height, width] of a 2D image (a 3D image with one slice counts as 2D). */
function planeShape(image: MedicalImage, file: string, origin: string): [number, number] {
  const [w, h = 1, d = 1] = image.size;
  if (image.size.length > 3 || d !== 1) {
    throw new MicflowError('invalid-data', `${origin}: ${file} is ${image.size.join('×')}; this dataset reads 2D images`);
  }
  return [h, w];
}
