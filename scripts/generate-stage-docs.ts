/**
 * Writes docs/stages.md (every built-in stage with its ports and params) and the stage list between the
 * `<!-- stages:begin -->` and `<!-- stages:end -->` markers of README.md, from the stage registry.
 *
 *   npm run docs            write both
 *   npm run docs -- --check exit 1 naming the file when either is out of date
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedStageDocs } from './stage-docs.js';

const root = join(import.meta.dirname, '..');
const check = process.argv.includes('--check');
let stale = 0;
for (const { file, text } of generatedStageDocs(root)) {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (current === text) continue;
  if (check) {
    process.stderr.write(`${file} is out of date: run npm run docs\n`);
    stale++;
  } else {
    writeFileSync(file, text);
    process.stdout.write(`wrote ${file}\n`);
  }
}
process.exitCode = stale ? 1 : 0;
