import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import { readImage } from '../io/read-image.js';
import { ACDC_CLASS_NAMES } from './hdf5-source.js';
import { fileExists, listFolder, subjectOf, type ImportCase, type ImportPlan } from './import-source.js';

const PATIENT = /^patient\d+$/;

/** Info.cfg of an ACDC patient ("ED: 1", "ES: 12", "Group: DCM", ...) as key → value; undefined when there is none. */
async function readInfo(folder: string): Promise<Record<string, string> | undefined> {
  const file = path.join(folder, 'Info.cfg');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const info: Record<string, string> = {};
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    const match = /^\s*([A-Za-z]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (!match) throw new MicflowError('invalid-data', `${file} line ${i + 1}: expected "Key: value", got "${line}"`);
    info[match[1]] = match[2];
  }
  for (const key of ['ED', 'ES']) {
    if (info[key] !== undefined && !/^\d+$/.test(info[key])) throw new MicflowError('invalid-data', `${file}: ${key} is "${info[key]}", not a frame number`);
  }
  return info;
}

/** Patient folders directly in `source`, or one level down (ACDC's own `training/` and `testing/`). */
async function patientFolders(source: string): Promise<string[]> {
  const entries = await listFolder(source, 'ACDC folder');
  const direct = entries.filter((e) => e.directory && PATIENT.test(e.name)).map((e) => path.join(source, e.name));
  if (direct.length) return direct;
  const nested: string[] = [];
  for (const e of entries.filter((x) => x.directory)) {
    for (const p of await listFolder(path.join(source, e.name), 'ACDC folder')) if (p.directory && PATIENT.test(p.name)) nested.push(path.join(source, e.name, p.name));
  }
  return nested.sort((a, b) => (path.basename(a) < path.basename(b) ? -1 : 1));
}

/**
 * ACDC's own layout: `patientNNN/patientNNN_frameMM.nii.gz` with the expert labels in `patientNNN_frameMM_gt.nii.gz`
 * and `Info.cfg` (ED and ES frame, pathology group), patient folders in `source` or in its `training/` and `testing/`.
 * A frame with a label is a case of all.csv, one without goes to unlabelled.csv; the 4D cine (`_4d.nii.gz`) is not
 * imported. Subject: the patient; extra columns `group` (DCM, HCM, MINF, NOR, RV) and `phase` (ED, ES) from Info.cfg.
 */
export async function acdcSource(source: string, subjectPattern?: RegExp): Promise<ImportPlan> {
  const folders = await patientFolders(source);
  if (folders.length === 0) throw new MicflowError('invalid-data', `ACDC folder ${source} holds no patientNNN folders (nor do its training/ or testing/)`);
  const cases: ImportCase[] = [];
  for (const folder of folders) {
    const patient = path.basename(folder);
    const info = await readInfo(folder);
    const frames = (await listFolder(folder, 'ACDC patient folder')).filter((e) => !e.directory && new RegExp(`^${patient}_frame\\d+\\.nii(\\.gz)?$`).test(e.name));
    if (frames.length === 0) throw new MicflowError('invalid-data', `ACDC patient folder ${folder} holds no ${patient}_frameMM.nii.gz files`);
    for (const frame of frames) {
      const image = path.join(folder, frame.name);
      const id = frame.name.replace(/\.nii(\.gz)?$/, '');
      const labelFile = path.join(folder, frame.name.replace(/(\.nii(\.gz)?)$/, '_gt$1'));
      const label = (await fileExists(labelFile)) ? labelFile : undefined;
      const number = String(Number(/_frame(\d+)/.exec(id)![1]));
      const phase = info?.ED === number ? 'ED' : info?.ES === number ? 'ES' : '';
      cases.push({
        id,
        subject: subjectOf(id, subjectPattern, patient),
        sources: label ? [image, label] : [image],
        labelled: label !== undefined,
        extra: { group: info?.Group ?? '', phase },
        async load() {
          return { images: [await readImage(image)], label: label ? await readImage(label) : undefined };
        },
      });
    }
  }
  return { format: 'acdc', source, classNames: ACDC_CLASS_NAMES, channelNames: ['cine MRI'], extraColumns: ['group', 'phase'], cases, notes: [] };
}
