/**
 * What the fixture scripts share about their source, Debian's mricron-data package (Colin27 T1 `ch2.nii.gz` with the
 * AAL atlas on the same grid): the Debian copyright statement they quote, reading AAL's label names, the package version,
 * and small checks. Used by scripts/make-fixtures.ts (2D slices) and scripts/make-fixtures-3d.ts (3D blocks).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MicflowError } from '../src/errors/micflow-error.js';
import type { MedicalImage } from '../src/io/medical-image.js';

/** The class names both fixtures use, background first. */
export const CLASS_NAMES = ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'] as const;

export const DEBIAN_COPYRIGHT_QUOTE = `Files: *
Copyright: Copyright 2006-2010, Chris Rorden
License: BSD-3-clause

License: BSD-3-clause
  Redistribution and use in source and binary forms, with or without
  modification, are permitted provided that the following conditions are met:
  .
  Redistributions of source code must retain the above copyright notice, this
  list of conditions and the following disclaimer.
  .
  Redistributions in binary form must reproduce the above copyright notice, this
  list of conditions and the following disclaimer in the documentation and/or
  other materials provided with the distribution.  Neither the names of the
  copyright owners nor the names of this project (MRIcron) may be used to
  endorse or promote products derived from this software without specific prior
  written permission.
  .
  THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
  AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
  IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
  DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT OWNER OR CONTRIBUTORS BE LIABLE
  FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
  DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
  SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
  CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
  OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
  OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.`;

export function fail(message: string, details: string[] = []): never {
  throw new MicflowError('invalid-data', message, details);
}

/** Parses aal.nii.txt ("<value> <name> <code>" per line) into name → voxel value. */
export function parseAalNames(text: string, file: string): Map<string, number> {
  const byName = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 2 || !/^\d+$/.test(fields[0])) continue;
    byName.set(fields[1], Number(fields[0]));
  }
  if (byName.size === 0) fail(`No label names found in ${file}.`);
  return byName;
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function packageVersion(): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'mricron-data'], { encoding: 'utf8' }).trim() || 'unknown';
  } catch {
    return 'unknown (dpkg-query could not report it)';
  }
}

/** T1 values as uint8: taken as is when the file is uint8, otherwise rounded and clamped (scaled files read as float). */
export function intensitiesAsUint8(image: MedicalImage): Uint8Array {
  if (image.data instanceof Uint8Array) return image.data;
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < image.data.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(Number(image.data[i]))));
  return out;
}

export function sameGeometry(a: MedicalImage, b: MedicalImage): boolean {
  const close = (x: number[], y: number[]) => x.length === y.length && x.every((v, i) => Math.abs(v - y[i]) < 1e-4);
  return close(a.size, b.size) && close(a.spacing, b.spacing) && close(a.origin, b.origin) && close(a.direction, b.direction);
}

/**
 * The "Source" and "Licence" sections of a fixture's PROVENANCE.md: package version, sha256 of the source files, what
 * they are, and the Debian copyright stanza that covers them.
 */
export async function sourceAndLicenceMarkdown(sourceFiles: readonly string[], t1: MedicalImage): Promise<string> {
  const sourceHashes = await Promise.all(sourceFiles.map(async (f) => `| \`${path.basename(f)}\` | \`${sha256(await readFile(f))}\` |`));
  const [nx, ny, nz] = t1.size;
  return `## Source

- Debian package \`mricron-data\`, version \`${packageVersion()}\` (installed at \`/usr/share/mricron/templates\`).
- Files used:

| file | sha256 |
| --- | --- |
${sourceHashes.join('\n')}

\`ch2.nii.gz\` is the Colin27 single-subject T1 template (Holmes et al. 1998), ${nx}×${ny}×${nz} voxels of
${t1.spacing.join('×')} mm, ${t1.pixelType}; \`aal.nii.gz\` is the AAL atlas (Tzourio-Mazoyer et al. 2002) on the same grid;
\`aal.nii.txt\` names its labels.

## Licence

The Debian copyright file of \`mricron-data\` (\`/usr/share/doc/mricron-data/copyright\`) has no stanza of its own
for the templates, so they fall under its \`Files: *\` stanza, quoted here:

\`\`\`
${DEBIAN_COPYRIGHT_QUOTE}
\`\`\`

`;
}
