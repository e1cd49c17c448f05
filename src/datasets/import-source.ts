import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import type { MedicalImage } from '../io/medical-image.js';

/** The images of one case, as read from its source files. */
export interface LoadedCase {
  /** One image per channel (modality), all on one grid. */
  readonly images: readonly MedicalImage[];
  readonly label?: MedicalImage;
  readonly scribble?: MedicalImage;
}

/** One case a source offers: named, grouped by subject, read only when its turn comes. */
export interface ImportCase {
  /** The output file stem, unique in the dataset. */
  readonly id: string;
  /** The subject (patient) the case belongs to; splits keep a subject's cases together. */
  readonly subject: string;
  /** The files it is read from, for messages. */
  readonly sources: readonly string[];
  /** Whether the case has a label (otherwise it goes to unlabelled.csv). */
  readonly labelled: boolean;
  /** Values of the source's extra columns. */
  readonly extra?: Readonly<Record<string, string>>;
  load(): Promise<LoadedCase>;
}

/** What a format reader found in a source folder, checked (files exist, names unique) before anything is read. */
export interface ImportPlan {
  readonly format: string;
  readonly source: string;
  /** Class names the source declares (msd's dataset.json, ACDC); undefined: from --classes or the label values. */
  readonly classNames?: readonly string[];
  readonly channelNames: readonly string[];
  /** Extra columns every case has a value for (in this order). */
  readonly extraColumns: readonly string[];
  readonly cases: readonly ImportCase[];
  /** Facts a user should know about the import (e.g. spacing not stored). */
  readonly notes: readonly string[];
}

/** A file name without its extension (".nii.gz" counts as one). */
export function fileStem(name: string): string {
  return name.replace(/\.(nii\.gz|[A-Za-z0-9]+)$/, '');
}

/** The entries of a folder, sorted, without hidden ones; MicflowError naming the folder (and the flag) when it is not one. */
export async function listFolder(folder: string, what: string): Promise<{ name: string; directory: boolean }[]> {
  const info = await stat(folder).catch(() => undefined);
  if (!info) throw new MicflowError('invalid-data', `${what} ${folder} does not exist`);
  if (!info.isDirectory()) throw new MicflowError('invalid-data', `${what} ${folder} is not a folder`);
  const entries = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((e) => !e.name.startsWith('.'))
    .map((e) => ({ name: e.name, directory: e.isDirectory() }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function fileExists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}

/** The subject of a case id: the first group (or the whole match) of `pattern`; `fallback` when there is no pattern. */
export function subjectOf(id: string, pattern: RegExp | undefined, fallback: string): string {
  if (!pattern) return fallback;
  const match = pattern.exec(id);
  if (!match) throw new MicflowError('invalid-argument', `--subject ${pattern.source}: does not match case "${id}"`);
  return match[1] ?? match[0];
}
