import path from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import { readImage } from '../io/read-image.js';
import { fileStem, listFolder, subjectOf, type ImportCase, type ImportPlan } from './import-source.js';

/** Entries of a folder by stem (a subfolder counts as a DICOM series named by the folder); two with one stem fail. */
async function byStem(folder: string, flag: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await listFolder(folder, flag)) {
    const stem = entry.directory ? entry.name : fileStem(entry.name);
    const other = out.get(stem);
    if (other) throw new MicflowError('invalid-data', `${flag} ${folder}: ${path.basename(other)} and ${entry.name} have the same name ${stem}; one file per case`);
    out.set(stem, path.join(folder, entry.name));
  }
  return out;
}

/**
 * Two folders, images and masks, matched by file name without extension (`case7.png` ↔ `case7.nii.gz` too), any
 * format readImage reads (NIfTI, NRRD, MetaImage, PNG, ..., a subfolder being a DICOM series). An image without a mask
 * goes to unlabelled.csv; a mask without an image fails. Subject: the case name.
 */
export async function folderSource(images: string, masks: string | undefined, subjectPattern?: RegExp): Promise<ImportPlan> {
  const imageFiles = await byStem(images, '--images');
  const maskFiles = masks ? await byStem(masks, '--masks') : new Map<string, string>();
  if (imageFiles.size === 0) throw new MicflowError('invalid-data', `--images ${images} holds no images`);
  for (const [stem, file] of maskFiles) {
    if (!imageFiles.has(stem)) throw new MicflowError('invalid-data', `--masks: ${file} has no image named ${stem} in ${images}`);
  }
  const cases: ImportCase[] = [...imageFiles].map(([id, image]) => {
    const label = maskFiles.get(id);
    return {
      id,
      subject: subjectOf(id, subjectPattern, id),
      sources: label ? [image, label] : [image],
      labelled: label !== undefined,
      async load() {
        return { images: [await readImage(image)], label: label ? await readImage(label) : undefined };
      },
    };
  });
  return { format: 'folder', source: images, channelNames: ['image'], extraColumns: [], cases, notes: [] };
}
