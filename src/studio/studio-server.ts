import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { checkpointManifestOf, decodeCheckpointFiles, encodeCheckpointFiles } from '../checkpoints/checkpoint-files.js';
import { MicflowError } from '../errors/micflow-error.js';
import { runConfigOf } from '../graph/run-config.js';
import { StageRegistry } from '../graph/stage-registry.js';
import { assertValidPipeline } from '../graph/validate-pipeline.js';
import { parseNifti } from '../io/parse-nifti.js';
import type { MedicalImage } from '../io/medical-image.js';
import { readImage, writeImage } from '../io/read-image.js';
import { createMicflowContainer } from '../run/micflow-container.js';
import {
  acceptedLabelFileOf,
  imageLabelList,
  imageList,
  scribbleFileOf,
  scribbleListOf,
  gridText,
  studioGridOf,
  studioTrainingRows,
  voxelsOf,
  type StudioTrainingRows,
  STUDIO_ACCEPTED_LIST,
  STUDIO_IMAGES_LIST,
  STUDIO_OWN_FOLDERS,
  STUDIO_SCRIBBLE_LIST,
} from './studio-files.js';
import { studioImagesOf, studioImagesOfList } from './studio-images.js';
import { studioPipelineOptions, studioScribblePipeline } from './studio-pipeline.js';
import { writeStudioRun } from './studio-run-directory.js';
import { writeAtomically } from './write-file-atomically.js';
import { readStudioStartingPoint, type StudioStartingPoint } from './studio-starting-point.js';

export interface StudioServerOptions {
  /** The folder of images to annotate; the studio writes its scribbles, labels and runs inside it. */
  readonly folder: string;
  /**
   * A dataset list (CSV with an `image` column, paths relative to `folder`, as a pipeline's data root lists them) whose
   * images are the ones to annotate; absent, every PNG and NIfTI image of the folder.
   */
  readonly list?: string;
  /** A run directory or checkpoint manifest to fine-tune from; absent, a fresh 2D U-Net for `classNames`. */
  readonly checkpoint?: string;
  /** Class names (0 = background); default the starting run's. */
  readonly classNames?: readonly string[];
  /** Fine-tuning iterations per press of "train" (the page can change it). */
  readonly iterations?: number;
  /** The built browser bundle (build/browser). */
  readonly bundleDirectory: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  readonly port?: number;
}

export interface StudioServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
/** Writes must carry this header: a page of another origin cannot send it without a preflight this server refuses. */
export const STUDIO_WRITE_HEADER = 'x-micflow-studio';
const MAX_BODY_BYTES = 1 << 30;
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm', '.css': 'text/css' };
const HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        fail(new MicflowError('invalid-argument', 'request body too large'));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => done(Buffer.concat(chunks)));
    request.on('error', fail);
  });
}

/**
 * The annotation studio's server (`npm run studio -- FOLDER`): the page and the browser bundle, the folder's images
 * (read by the tab, which decodes, draws and trains on them; nothing leaves this machine), and the few writes the
 * page asks for, each checked before anything is written and written atomically: a scribble (studio/scribble/…,
 * its list), an accepted mask (labels/…, in the image's format and geometry) and a fine-tuned checkpoint with its
 * config.json (studio-runs/<stamp>/, which `npm run infer` loads). Listens on 127.0.0.1 only and answers only to a
 * loopback Host (no DNS rebinding); writes need the {@link STUDIO_WRITE_HEADER} header (no cross-site requests).
 */
export async function startStudioServer(options: StudioServerOptions): Promise<StudioServer> {
  const folder = resolve(options.folder);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new MicflowError('invalid-argument', `${options.folder}: no such folder`);
  if (!existsSync(join(options.bundleDirectory, 'studio.html'))) throw new MicflowError('invalid-argument', `${options.bundleDirectory}: the browser bundle is not built (npm run build:browser)`);
  const images = options.list ? studioImagesOfList(folder, options.list) : studioImagesOf(folder);
  if (!images.length) throw new MicflowError('invalid-data', `${options.folder}: no images to annotate (PNG, NIfTI, .dcm, .mha, .nrrd) (outside ${STUDIO_OWN_FOLDERS.join('/, ')}/)`);
  let start: StudioStartingPoint = await readStudioStartingPoint(options);
  let startSource = start.checkpoint ? start.checkpoint.path : 'a fresh network';
  const registry = StageRegistry.fromContainer(createMicflowContainer());
  const imageSet = new Set(images);
  const scribbled = () => images.filter((image) => existsSync(join(folder, scribbleFileOf(image))));
  const accepted = () => images.filter((image) => existsSync(join(folder, acceptedLabelFileOf(image))));
  const startFiles = () => (start.checkpoint ? encodeCheckpointFiles({ tag: 'start', iteration: start.checkpoint.iteration, variables: start.checkpoint.variables, valuesName: 'start-values.bin' }) : undefined);
  let startEncoded = startFiles();

  const imageParam = (url: URL): string => {
    const image = url.searchParams.get('image') ?? '';
    if (!imageSet.has(image)) throw new MicflowError('invalid-argument', `image=${image}: not one of the folder's images`);
    return image;
  };

  const handlers: Record<string, (request: IncomingMessage, url: URL) => Promise<{ status?: number; type: string; body: string | Uint8Array }>> = {
    'GET /api/session': async () => ({
      type: TYPES['.json'],
      body: JSON.stringify({
        folder,
        images,
        scribbled: scribbled(),
        accepted: accepted(),
        model: start.model,
        iterations: options.iterations ?? 20,
        start: start.checkpoint ? { path: startSource, iteration: start.checkpoint.iteration } : null,
      }),
    }),
    'GET /api/start/manifest': async () => {
      if (!startEncoded) return { status: 404, type: 'text/plain', body: 'no starting checkpoint: the network starts from its initialiser\n' };
      return { type: TYPES['.json'], body: JSON.stringify(startEncoded.manifest) };
    },
    'GET /api/start/values': async () => {
      if (!startEncoded) return { status: 404, type: 'text/plain', body: 'no starting checkpoint\n' };
      return { type: 'application/octet-stream', body: startEncoded.values };
    },
    'GET /api/file': async (_request, url) => {
      const path = url.searchParams.get('path') ?? '';
      // The images, and the files the studio itself wrote for them; nothing else of the folder is served.
      const allowed = imageSet.has(path) || images.some((image) => path === scribbleFileOf(image) || path === acceptedLabelFileOf(image));
      if (!allowed) return { status: 404, type: 'text/plain', body: `${path}: not an image of the folder or a studio file\n` };
      const file = resolve(folder, path);
      if (!file.startsWith(folder + sep) || !existsSync(file)) return { status: 404, type: 'text/plain', body: `${path}: not found\n` };
      return { type: 'application/octet-stream', body: await readFile(file) };
    },
    'PUT /api/scribble': async (request, url) => {
      const image = imageParam(url);
      const body = new Uint8Array(await readBody(request));
      const classes = start.model.classNames.length;
      const scribble = parseNifti(body, scribbleFileOf(image));
      const target = await readImage(join(folder, image));
      const grid = studioGridOf(target, image);
      const drawn = studioGridOf(scribble, scribbleFileOf(image));
      if (drawn.columns !== grid.columns || drawn.rows !== grid.rows || drawn.slices !== grid.slices) {
        throw new MicflowError('invalid-data', `scribble of ${image} is ${gridText(drawn)}; the image is ${gridText(grid)}`);
      }
      for (const value of scribble.data as Iterable<number>) {
        if (!Number.isInteger(value) || value < 0 || value > classes) throw new MicflowError('invalid-data', `scribble of ${image} holds ${value}; values are classes 0..${classes - 1} or ${classes} (unannotated)`);
      }
      const training = rowsOf(image, target, scribble, body);
      await writeAtomically(join(folder, scribbleFileOf(image)), body);
      await replaceDerivedFiles(image, training);
      await writeLists();
      return { type: TYPES['.json'], body: JSON.stringify({ written: scribbleFileOf(image), rows: training.rows.length }) };
    },
    'DELETE /api/scribble': async (_request, url) => {
      const image = imageParam(url);
      await rm(join(folder, scribbleFileOf(image)), { force: true });
      await replaceDerivedFiles(image, undefined);
      await writeLists();
      return { type: TYPES['.json'], body: JSON.stringify({ removed: scribbleFileOf(image) }) };
    },
    'PUT /api/label': async (request, url) => {
      const image = imageParam(url);
      const body = await readBody(request);
      const target = await readImage(join(folder, image));
      const grid = studioGridOf(target, image);
      if (body.length !== voxelsOf(grid)) throw new MicflowError('invalid-data', `label of ${image}: ${body.length} bytes for a ${gridText(grid)} image (one class index per pixel)`);
      const classes = start.model.classNames.length;
      const worst = body.reduce((m, v) => Math.max(m, v), 0);
      if (worst >= classes) throw new MicflowError('invalid-data', `label of ${image} holds class ${worst}; the classes are 0..${classes - 1}`);
      const file = join(folder, acceptedLabelFileOf(image));
      await mkdir(dirname(file), { recursive: true });
      await writeImage(file, { ...target, data: new Uint8Array(body), components: 1, pixelType: 'uint8', size: [...target.size] });
      await writeAtomically(join(folder, STUDIO_ACCEPTED_LIST), imageLabelList(accepted(), acceptedLabelFileOf));
      return { type: TYPES['.json'], body: JSON.stringify({ written: acceptedLabelFileOf(image) }) };
    },
    'POST /api/runs': async (request) => {
      // Body: 4-byte little-endian length of a JSON header { options, backend, backendReason, manifest }, the header, the value file.
      const body = await readBody(request);
      const headerLength = body.length >= 4 ? body.readUInt32LE(0) : -1;
      if (headerLength < 0 || 4 + headerLength > body.length) throw new MicflowError('invalid-argument', 'a run upload is a 4-byte header length, a JSON header and the value file');
      const header = JSON.parse(body.subarray(4, 4 + headerLength).toString('utf8')) as { options: unknown; backend?: string; backendReason?: string; manifest: unknown };
      const parsedOptions = studioPipelineOptions.safeParse(header.options);
      if (!parsedOptions.success) throw new MicflowError('invalid-argument', 'the run\'s studio options do not validate', parsedOptions.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
      const validated = assertValidPipeline(studioScribblePipeline(parsedOptions.data), registry, 'the studio pipeline', { environment: 'node' });
      const { manifest } = checkpointManifestOf(header.manifest, 'studio.json', 'the uploaded checkpoint');
      const values = body.subarray(4 + headerLength);
      const checkpoint = decodeCheckpointFiles(manifest, new Uint8Array(values.buffer, values.byteOffset, values.byteLength), 'the uploaded checkpoint');
      const run = await writeStudioRun(folder, runConfigOf(validated, folder, {
        source: `micflow studio: fine-tuned in the browser from ${startSource}`,
        ...(header.backend ? { backend: header.backend } : {}),
        ...(header.backendReason ? { backendReason: header.backendReason } : {}),
      }), checkpoint.iteration, checkpoint.variables);
      // The next press of "train" continues from the fine-tuned weights.
      start = { ...start, checkpoint: { path: join(folder, run, 'checkpoints', 'studio.json'), iteration: checkpoint.iteration, variables: checkpoint.variables } };
      startSource = `${run}/checkpoints/studio.json`;
      startEncoded = startFiles();
      return { type: TYPES['.json'], body: JSON.stringify({ run }) };
    },
  };

  /** Each scribbled image's rows of the scribble list (and for a volume, the slice files they name). */
  const trainingRows = new Map<string, StudioTrainingRows>();
  function rowsOf(image: string, target: MedicalImage, scribble: MedicalImage, bytes: Uint8Array): StudioTrainingRows {
    return studioTrainingRows(image, target, Uint8Array.from(scribble.data as Iterable<number>), bytes, start.model.classNames.length);
  }
  for (const image of scribbled()) {
    const bytes = new Uint8Array(readFileSync(join(folder, scribbleFileOf(image))));
    trainingRows.set(image, rowsOf(image, await readImage(join(folder, image)), parseNifti(bytes, scribbleFileOf(image)), bytes));
  }

  /** Writes an image's derived files (a volume's slices) and removes the ones it no longer has. */
  async function replaceDerivedFiles(image: string, training: StudioTrainingRows | undefined): Promise<void> {
    const previous = trainingRows.get(image);
    for (const [path, bytes] of training?.files ?? []) if (path !== scribbleFileOf(image)) await writeAtomically(join(folder, path), bytes);
    for (const path of previous?.files.keys() ?? []) if (!training?.files.has(path) && path !== scribbleFileOf(image)) await rm(join(folder, path), { force: true });
    if (training) trainingRows.set(image, training);
    else trainingRows.delete(image);
  }

  async function writeLists(): Promise<void> {
    await writeAtomically(join(folder, STUDIO_SCRIBBLE_LIST), scribbleListOf([...trainingRows.values()].flatMap((t) => t.rows)));
    await writeAtomically(join(folder, STUDIO_IMAGES_LIST), imageList(images));
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const send = (status: number, type: string, body: string | Uint8Array) => {
      response.writeHead(status, { ...HEADERS, 'Content-Type': type });
      response.end(body);
    };
    const url = new URL(request.url ?? '/', 'http://studio');
    const hostHeader = (request.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    if (!LOOPBACK.has(hostHeader)) return send(421, 'text/plain', 'the studio answers to 127.0.0.1 or localhost only\n');
    const method = request.method ?? 'GET';
    const handler = handlers[`${method} ${url.pathname}`];
    if (handler) {
      if (method !== 'GET' && request.headers[STUDIO_WRITE_HEADER] !== '1') return send(403, 'text/plain', `writes need the ${STUDIO_WRITE_HEADER} header (the studio page sends it)\n`);
      try {
        const result = await handler(request, url);
        return send(result.status ?? 200, result.type, result.body);
      } catch (error) {
        const status = error instanceof MicflowError ? 400 : 500;
        return send(status, TYPES['.json'], JSON.stringify({ error: (error as Error).message, details: error instanceof MicflowError ? error.details : [] }));
      }
    }
    if (method !== 'GET') return send(405, 'text/plain', 'not allowed\n');
    const name = url.pathname === '/' ? 'studio.html' : decodeURIComponent(url.pathname.slice(1));
    const file = resolve(options.bundleDirectory, name);
    if (!file.startsWith(resolve(options.bundleDirectory) + sep) || !existsSync(file) || !statSync(file).isFile()) return send(404, 'text/plain', 'not found\n');
    return send(200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file));
  };

  const server = createServer((request, response) => void handle(request, response));
  let port = options.port ?? 6090;
  await new Promise<void>((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(new MicflowError('invalid-argument', error.code === 'EADDRINUSE' ? `port ${port} is in use: choose another with --port` : `the studio cannot listen on 127.0.0.1:${port}: ${error.message}`)),
    );
    server.listen(port, '127.0.0.1', () => done());
  });
  const address = server.address();
  if (address && typeof address === 'object') port = address.port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

export { studioImagesOf, studioImagesOfList } from './studio-images.js';
