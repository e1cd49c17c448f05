import path from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import { hdf5ArrayImage, isHdf5File, readHdf5Arrays, type Hdf5Array } from '../io/read-hdf5.js';
import { listFolder, subjectOf, type ImportPlan } from './import-source.js';

/** ACDC's classes, label value = index (Bernard et al., IEEE TMI 2018): right ventricle, myocardium, left ventricle. */
export const ACDC_CLASS_NAMES: readonly string[] = ['background', 'RV', 'Myo', 'LV'];
/** An ACDC case name: patient and frame. */
export const ACDC_CASE = /^(patient\d+)_frame\d+$/;

/**
 * The SSL4MIS/WSL4MIS layout: one `.h5` (or `.hdf5`) per volume directly in `source`, each with the datasets `image`
 * (z × H × W or H × W) and `label`, optionally `scribble`, of the same shape. Case id: the file name without extension;
 * subject: its `patientNNN` part when it has one (so an ACDC patient's two frames stay together), else the case id.
 * The files store no spacing: the images get 1 on every axis. ACDC-named files (patientNNN_frameMM) get ACDC's class names.
 */
export async function hdf5Source(source: string, subjectPattern?: RegExp): Promise<ImportPlan> {
  const files = (await listFolder(source, 'HDF5 folder')).filter((e) => !e.directory && isHdf5File(e.name)).map((e) => e.name);
  if (files.length === 0) throw new MicflowError('invalid-data', `HDF5 folder ${source} holds no .h5 files`);
  const ids = files.map((name) => name.replace(/\.(h5|hdf5|hdf)$/i, ''));
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new MicflowError('invalid-data', `HDF5 folder ${source} has two files named ${duplicate} (.h5 and .hdf5?)`);
  const acdc = ids.every((id) => ACDC_CASE.test(id));
  const cases = files.map((name, i) => {
    const file = path.join(source, name);
    const id = ids[i];
    return {
      id,
      subject: subjectOf(id, subjectPattern, /^(patient\d+)/.exec(id)?.[1] ?? id),
      sources: [file],
      labelled: true,
      async load() {
        const arrays = await readHdf5Arrays(file, ['image', 'label'], ['scribble']);
        const image = arrays.get('image')!;
        const sameShape = (other: Hdf5Array | undefined) => {
          if (other && other.shape.join() !== image.shape.join()) {
            throw new MicflowError('invalid-data', `${file}: dataset "${other.name}" has shape [${other.shape.join(', ')}], but "image" has [${image.shape.join(', ')}]`);
          }
          return other && hdf5ArrayImage(other, file);
        };
        return { images: [hdf5ArrayImage(image, file)], label: sameShape(arrays.get('label')), scribble: sameShape(arrays.get('scribble')) };
      },
    };
  });
  return {
    format: 'hdf5',
    source,
    classNames: acdc ? ACDC_CLASS_NAMES : undefined,
    channelNames: ['image'],
    extraColumns: [],
    cases,
    notes: ['HDF5 files of this layout store no spacing or orientation: the images are written with 1 mm spacing on every axis, origin 0, identity direction'],
  };
}
