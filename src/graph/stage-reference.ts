import { describeStage } from './describe-stage.js';
import type { StageClass } from './stage.js';

export interface StageFamily {
  readonly folder: string;
  readonly title: string;
  readonly stages: readonly StageClass[];
}

/** The stage reference (docs/stages.md): every family's stages with their ports and params, as `--describe` prints them. */
export function stageReferenceMarkdown(families: readonly StageFamily[]): string {
  const lines = [
    '# Stage reference',
    '',
    'Generated from the stage registry by `npm run docs` (a test checks it is current): every built-in stage with its',
    'ports and params as `npm run pipeline -- --describe <Stage>` prints them. Stages are grouped by family, the folder',
    'under `src/stages/` that defines them.',
    '',
  ];
  for (const family of families) {
    lines.push(`## ${family.folder}`, '', family.title, '');
    for (const stageClass of sortedByName(family.stages)) lines.push(`### ${stageClass.className}`, '', '```', describeStage(stageClass).trimEnd(), '```', '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The README's stage list: one line per family naming its stages, linking to the reference. */
export function stageListMarkdown(families: readonly StageFamily[]): string {
  return `${families
    .map((family) => `- **${family.folder}** — ${family.title} ${sortedByName(family.stages).map((s) => `\`${s.className}\``).join(', ')}.`)
    .join('\n')}\n`;
}

function sortedByName(stages: readonly StageClass[]): StageClass[] {
  return [...stages].sort((a, b) => a.className.localeCompare(b.className));
}
