import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import { identityDirection, pixelCount, type MedicalImage } from '../io/medical-image.js';
import { readImage } from '../io/read-image.js';
import { fileExists, listFolder, subjectOf, type ImportCase, type ImportPlan } from './import-source.js';

interface MsdDescription {
  readonly classNames: string[];
  readonly channelNames: string[];
  readonly ending: string;
}

/** Entries of a {"0": "x", "1": "y"} object in key order, checked to be 0..n−1. */
function indexedNames(record: Record<string, unknown>, file: string, key: string): string[] {
  const entries = Object.entries(record).map(([k, v]) => [Number(k), v] as const);
  entries.sort((a, b) => a[0] - b[0]);
  if (entries.some(([k, v], i) => k !== i || typeof v !== 'string')) {
    throw new MicflowError('invalid-data', `${file}: "${key}" must map 0, 1, 2... to names, got ${JSON.stringify(record)}`);
  }
  return entries.map(([, v]) => v as string);
}

/**
 * dataset.json of the Medical Segmentation Decathlon (labels {"0": "background", ...}, modality {"0": "MRI"}) or of
 * nnU-Net v2 (labels {"background": 0, ...}, channel_names, file_ending).
 */
async function readMsdDescription(source: string): Promise<MsdDescription> {
  const file = path.join(source, 'dataset.json');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MicflowError('invalid-data', code === 'ENOENT' ? `${file} does not exist: an MSD / nnU-Net raw dataset has one` : `${file}: not valid JSON (${(error as Error).message})`);
  }
  const labels = json.labels;
  if (!labels || typeof labels !== 'object' || Array.isArray(labels)) throw new MicflowError('invalid-data', `${file}: no "labels" object`);
  let classNames: string[];
  const values = Object.values(labels);
  if (values.every((v) => typeof v === 'number')) {
    // nnU-Net v2: name → value.
    const inverted: Record<string, string> = {};
    for (const [name, value] of Object.entries(labels as Record<string, number>)) inverted[String(value)] = name;
    classNames = indexedNames(inverted, file, 'labels');
  } else if (values.every((v) => typeof v === 'string')) {
    classNames = indexedNames(labels as Record<string, unknown>, file, 'labels');
  } else {
    throw new MicflowError('invalid-data', `${file}: "labels" maps to ${JSON.stringify(labels)}; region labels (lists of values) are not supported, one value per class is`);
  }
  if (classNames.length < 2) throw new MicflowError('invalid-data', `${file}: "labels" names ${classNames.length} class; at least background and one structure are needed`);
  const channels = (json.channel_names ?? json.modality ?? { 0: 'image' }) as Record<string, unknown>;
  if (typeof channels !== 'object' || Array.isArray(channels)) throw new MicflowError('invalid-data', `${file}: "channel_names" / "modality" must be an object like {"0": "T2"}`);
  const channelNames = indexedNames(channels, file, json.channel_names ? 'channel_names' : 'modality');
  const ending = typeof json.file_ending === 'string' ? json.file_ending : '.nii.gz';
  return { classNames, channelNames, ending };
}

/** A 4D image [x, y, z, c] (original MSD files hold the modalities on the 4th axis) as c 3D images. */
function splitChannels(image: MedicalImage, channels: number, file: string): MedicalImage[] {
  if (image.size.length === 3 && channels === 1) return [image];
  if (image.size.length !== 4 || image.size[3] !== channels || image.components !== 1) {
    throw new MicflowError('invalid-data', `${file} is ${image.size.join('×')} with ${image.components} components; dataset.json names ${channels} channel${channels > 1 ? 's' : ''}`);
  }
  const size = image.size.slice(0, 3);
  const voxels = pixelCount({ size });
  const direction = [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => image.direction[r * 4 + c]));
  return Array.from({ length: channels }, (_, c) => ({
    data: image.data.slice(c * voxels, (c + 1) * voxels),
    size,
    spacing: image.spacing.slice(0, 3),
    origin: image.origin.slice(0, 3),
    direction: direction.every((v) => Number.isFinite(v)) ? direction : identityDirection(3),
    components: 1,
    pixelType: image.pixelType,
  }));
}

/**
 * The MSD / nnU-Net raw layout: `dataset.json`, `imagesTr/<case>_0000<ending>` (+ `_0001`... one file per channel),
 * `labelsTr/<case><ending>`, and optionally `imagesTs/` (images without labels, which go to unlabelled.csv). The
 * original MSD layout, `imagesTr/<case>.nii.gz` holding every modality on a 4th axis, is read too. Subject: the case id.
 * Every listed file is checked to exist before anything is read.
 */
export async function msdSource(source: string, subjectPattern?: RegExp): Promise<ImportPlan> {
  const { classNames, channelNames, ending } = await readMsdDescription(source);
  const channelFile = (folder: string, id: string, c: number) => path.join(source, folder, `${id}_${String(c).padStart(4, '0')}${ending}`);
  const caseOf = async (folder: string, id: string, label: string | undefined): Promise<ImportCase> => {
    const split = channelNames.map((_, c) => channelFile(folder, id, c));
    const whole = path.join(source, folder, `${id}${ending}`);
    let files: string[];
    if (await fileExists(split[0])) {
      for (const file of split) if (!(await fileExists(file))) throw new MicflowError('invalid-data', `${file} does not exist (dataset.json names ${channelNames.length} channels: ${channelNames.join(', ')})`);
      files = split;
    } else if (await fileExists(whole)) {
      files = [whole];
    } else {
      throw new MicflowError('invalid-data', `${split[0]} does not exist${label ? ` (the image of ${label})` : ''}`);
    }
    return {
      id,
      subject: subjectOf(id, subjectPattern, id),
      sources: label ? [...files, label] : files,
      labelled: label !== undefined,
      async load() {
        const read = await Promise.all(files.map((f) => readImage(f)));
        const images = files.length === 1 ? splitChannels(read[0], channelNames.length, files[0]) : read;
        return { images, label: label ? await readImage(label) : undefined };
      },
    };
  };
  const withEnding = (entries: { name: string; directory: boolean }[]) => entries.filter((e) => !e.directory && e.name.endsWith(ending)).map((e) => e.name.slice(0, -ending.length));
  const labelled = withEnding(await listFolder(path.join(source, 'labelsTr'), 'MSD labels folder'));
  if (labelled.length === 0) throw new MicflowError('invalid-data', `${path.join(source, 'labelsTr')} holds no ${ending} label files`);
  const cases: ImportCase[] = [];
  for (const id of labelled) cases.push(await caseOf('imagesTr', id, path.join(source, 'labelsTr', `${id}${ending}`)));
  if (await listFolder(path.join(source, 'imagesTs'), 'imagesTs').then(() => true, () => false)) {
    const stems = withEnding(await listFolder(path.join(source, 'imagesTs'), 'imagesTs'));
    const ids = [...new Set(stems.map((s) => s.replace(/_\d{4}$/, '')))];
    for (const id of ids) cases.push(await caseOf('imagesTs', id, undefined));
  }
  return { format: 'msd', source, classNames, channelNames, extraColumns: [], cases, notes: [] };
}
