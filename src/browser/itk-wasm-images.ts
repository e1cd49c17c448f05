/**
 * The image formats a tab reads with itk-wasm's browser build (issue 19): DICOM (a file, or a folder of slices as one
 * series), MetaImage (.mha) and NRRD (.nrrd), through the same itk-wasm pipelines Node's readers run (GDCM's
 * gdcm-read-image and @itk-wasm/dicom's read-image-dicom-file-series, image-io's meta- and nrrd-read-image), so a
 * file gives the data and geometry it gives in Node.
 *
 * itk-wasm runs each pipeline in a Web Worker that fetches the pipeline's .js and .wasm.zst from a base URL; by
 * default that URL is jsDelivr. Here it is always the bundle's own folder: scripts/build-browser.mjs copies the
 * worker and exactly the pipelines of itk-wasm-files.json into the bundle's itk-wasm/ folder, and the page names where the bundle is served with
 * {@link setItkWasmPaths}. Without that call nothing is fetched: decoding fails, saying so.
 */
import { MicflowError } from '../errors/micflow-error.js';
import type { MedicalImage, PixelData } from '../io/medical-image.js';
import { medicalImageOfItk, type ItkWasmImage } from '../io/medical-image-of-itk.js';
// The bundle's subfolder for itk-wasm (`folder`), the pipeline worker's file there (`worker`) and the pipelines the
// tab runs by the package holding them, which scripts/build-browser.mjs copies into `folder`/pipelines/.
import itkWasmFiles from './itk-wasm-files.json' with { type: 'json' };

/** A format the tab reads with itk-wasm, and the image-io reader for it (a DICOM series has its own pipeline). */
type ItkWasmFormat = 'dicom' | 'meta' | 'nrrd';

let bundleUrl: string | undefined;
/**
 * Where the browser bundle is served (the folder holding micflow.js and itk-wasm/), as an absolute URL; pages
 * call it with `new URL('./', import.meta.url).href`, like setBrowserWasmPaths.
 */
export function setItkWasmPaths(prefix: string): void {
  bundleUrl = prefix.endsWith('/') ? prefix : `${prefix}/`;
  configured = undefined;
}

type ImageIo = typeof import('@itk-wasm/image-io');
type Dicom = typeof import('@itk-wasm/dicom');
let configured: Promise<{ io: ImageIo; dicom: Dicom }> | undefined;
/** A worker pool the series reader hands back, kept so that its worker (and its loaded pipeline) serve the next series. */
let seriesPool: Awaited<ReturnType<Dicom['readImageDicomFileSeries']>>['webWorkerPool'] = null;

/** itk-wasm's browser packages (a chunk of their own, loaded on the first image that needs them), pointed at the bundle. */
function itkWasm(file: string): Promise<{ io: ImageIo; dicom: Dicom }> {
  if (!bundleUrl) {
    throw new MicflowError('invalid-data', `Could not read image file ${file}: itk-wasm's pipelines have no location in this page (call setItkWasmPaths with the URL the bundle is served from)`);
  }
  const base = bundleUrl;
  configured ??= Promise.all([import('@itk-wasm/image-io'), import('@itk-wasm/dicom')]).then(([io, dicom]) => {
    // itk-wasm joins the base and the pipeline name with a slash itself.
    const pipelines = `${base}${itkWasmFiles.folder}/pipelines`;
    const worker = `${base}${itkWasmFiles.folder}/${itkWasmFiles.worker}`;
    for (const module of [io, dicom]) {
      module.setPipelinesBaseUrl(pipelines);
      module.setPipelineWorkerUrl(worker);
    }
    return { io, dicom };
  });
  return configured;
}

const extensionOf = (path: string) => /\.([^./]+)$/.exec(path)?.[1]?.toLowerCase() ?? '';
/** A DICOM Part 10 file: 128 bytes of preamble, then "DICM". */
const isDicomPart10 = (bytes: Uint8Array) => bytes.length >= 132 && String.fromCharCode(...bytes.subarray(128, 132)) === 'DICM';

/**
 * The itk-wasm format the tab reads `path` as, or undefined. By extension as Node's reader picks (.dcm, .mha, .mhd,
 * .nrrd, .nhdr); a file with another ending is DICOM when it starts like a DICOM file (Node tries every itk-wasm
 * reader in turn on it, GDCM's being the one that reads it; the tab holds only the pipelines above).
 */
export function itkWasmFormatOf(path: string, bytes: Uint8Array): ItkWasmFormat | undefined {
  const extension = extensionOf(path);
  if (extension === 'dcm') return 'dicom';
  if (extension === 'mha' || extension === 'mhd') return 'meta';
  if (extension === 'nrrd' || extension === 'nhdr') return 'nrrd';
  return isDicomPart10(bytes) ? 'dicom' : undefined;
}

/**
 * A header whose pixels are in another file (MetaImage ElementDataFile other than LOCAL, NRRD "data file"): the
 * tab hands a pipeline one file, so that one cannot be read here. Returns the data file's name.
 */
function detachedDataFile(format: ItkWasmFormat, bytes: Uint8Array): string | undefined {
  const header = new TextDecoder('latin1').decode(bytes.subarray(0, 4096));
  if (format === 'meta') {
    const name = /^ElementDataFile\s*=\s*(.*?)\s*$/m.exec(header)?.[1];
    return name && name !== 'LOCAL' ? name : undefined;
  }
  if (format === 'nrrd') return /^data ?file\s*:\s*(.*?)\s*$/im.exec(header)?.[1];
  return undefined;
}

function pixelsOf(image: ItkWasmImage | undefined, what: string): MedicalImage {
  if (!image?.data) throw new MicflowError('invalid-data', `${what} has no pixel data.`);
  return medicalImageOfItk({ ...image, data: image.data as PixelData });
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Decodes an opened DICOM, MetaImage or NRRD file with itk-wasm (see {@link itkWasmFormatOf}); undefined for another
 * format. The bytes are copied to the worker (itk-wasm transfers what it is given), so the opened file stays intact.
 *
 * @throws MicflowError('invalid-data') naming the file when it cannot be read.
 */
export async function decodeItkWasmImage(path: string, bytes: Uint8Array): Promise<MedicalImage | undefined> {
  const format = itkWasmFormatOf(path, bytes);
  if (!format) return undefined;
  const detached = detachedDataFile(format, bytes);
  if (detached) {
    throw new MicflowError('invalid-data', `Could not read image file ${path}: its pixels are in another file (${detached}), which the browser does not read; save it as one file (.mha, .nrrd)`);
  }
  const { io } = await itkWasm(path);
  const reader = { dicom: io.gdcmReadImage, meta: io.metaReadImage, nrrd: io.nrrdReadImage }[format];
  // itk-wasm names the file in its worker's memory file system: the base name, which has no folders to create.
  const name = path.slice(path.lastIndexOf('/') + 1);
  let result: Awaited<ReturnType<typeof reader>>;
  try {
    result = await reader({ path: name, data: bytes.slice() });
  } catch (error) {
    throw new MicflowError('invalid-data', `Could not read image file ${path}: unreadable or unsupported format.`, [reason(error)]);
  }
  if (!result.couldRead) throw new MicflowError('invalid-data', `Could not read image file ${path}: unreadable or unsupported format.`, [`itk-wasm's ${format} reader could not read it`]);
  return pixelsOf(result.image, `Image file ${path}`);
}

/**
 * Decodes the slices of a DICOM series (a folder's files, by base name) as one volume, with the pipeline and options
 * Node's readDicomSeries uses: sorted by position along the slice normal, spacing between slices from the positions.
 *
 * @throws MicflowError('invalid-data') naming the folder when the files are not one readable series.
 */
export async function decodeDicomSeries(folder: string, slices: readonly { name: string; bytes: Uint8Array }[]): Promise<MedicalImage> {
  if (!slices.length) throw new MicflowError('invalid-data', `DICOM series ${folder}: no files.`);
  const { dicom } = await itkWasm(folder);
  let image: ItkWasmImage | undefined;
  try {
    const result = await dicom.readImageDicomFileSeries({
      inputImages: slices.map((s) => ({ path: s.name, data: s.bytes.slice() })),
      singleSortedSeries: false,
      webWorkerPool: seriesPool,
    });
    seriesPool = result.webWorkerPool;
    image = result.outputImage;
  } catch (error) {
    throw new MicflowError('invalid-data', `Could not read DICOM series ${folder}: unreadable or not one series.`, [reason(error)]);
  }
  return pixelsOf(image, `DICOM series ${folder}`);
}
