import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import { parseCsvTable } from '../io/parse-csv-table.js';
import { STUDIO_IMAGE_PATTERN, STUDIO_OWN_FOLDERS } from './studio-files.js';

/** Every image of the folder the studio annotates (PNG, NIfTI, DICOM, MetaImage, NRRD files), relative with `/`, outside the studio's own folders. */
export function studioImagesOf(folder: string): string[] {
  const out: string[] = [];
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(directory, entry.name);
      const rel = relative(folder, path).split(sep).join('/');
      if (entry.isDirectory()) {
        if (!STUDIO_OWN_FOLDERS.includes(rel)) walk(path);
      } else if (STUDIO_IMAGE_PATTERN.test(entry.name)) out.push(rel);
    }
  };
  walk(folder);
  return out.sort();
}

/**
 * The images a dataset list names (its `image` column), relative to the folder: each must be an image file the studio opens
 * inside the folder; a row that is not is refused, naming the list and line.
 */
export function studioImagesOfList(folder: string, list: string): string[] {
  const file = resolve(folder, list);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new MicflowError('invalid-argument', `--list ${list}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const table = parseCsvTable(text, list, ['image']);
  const images = new Set<string>();
  for (const row of table.rows) {
    const listed = row.values.image;
    const path = resolve(folder, listed);
    const rel = relative(folder, path).split(sep).join('/');
    if (rel.startsWith('..') || isAbsolute(rel)) throw new MicflowError('invalid-data', `${list} line ${row.line}: ${listed} is outside ${folder}; list images relative to the folder`);
    if (!STUDIO_IMAGE_PATTERN.test(rel)) throw new MicflowError('invalid-data', `${list} line ${row.line}: ${listed} is not an image the studio opens (PNG, NIfTI, DICOM .dcm, MetaImage .mha, NRRD .nrrd)`);
    if (!existsSync(path)) throw new MicflowError('invalid-data', `${list} line ${row.line}: ${listed} does not exist`);
    images.add(rel);
  }
  return [...images].sort();
}
