import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dashboardPort } from '../dashboard/dashboard-options.js';
import { MicflowError } from '../errors/micflow-error.js';
import { startStudioServer } from '../studio/studio-server.js';
import { runCommand } from './report-cli-error.js';
import { untilStopSignal } from './until-stop-signal.js';

const usage = `usage: npm run studio -- FOLDER [--list CSV] [--checkpoint RUN] [--classes background,name,…] [--iterations N] [--port N]

The annotation studio: a page on 127.0.0.1 that shows FOLDER's 2D images and volumes (PNG, NIfTI, DICOM .dcm,
MetaImage .mha, NRRD .nrrd; volumes slice by slice), lets you draw scribbles per
class, fine-tunes a segmentation network on them in a Web Worker of the tab (webgl, wasm or cpu; partial
cross-entropy, as pipelines/scribble-pce.ts) with the prediction overlay updating as it trains, and writes into FOLDER:
  studio/scribble/…, studio/train_scribble.csv   the scribbles, as a PyMIC-style scribble list
  labels/<image path>, studio/accepted.csv       accepted masks (the prediction, corrected by the scribbles)
  studio-runs/<stamp>/                           each fine-tuned checkpoint, for npm run infer -- studio-runs/<stamp>

  --list CSV         annotate the images a dataset list names (its image column, paths relative to FOLDER, e.g.
                     FOLDER/train_unlabelled.csv) instead of every image in FOLDER
  --checkpoint RUN   fine-tune from a run directory or checkpoint manifest of a 2D pipeline (its network, its test
                     branch's preprocessing and its class names); without it a fresh UNet2D needs --classes
  --classes LIST     class names, background first (default: the run's)
  --iterations N     fine-tuning iterations per press of "train" (default 20; the page can change it)
  --port N           the page's port on 127.0.0.1 (default 6090; 0: any free port)`;

export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        checkpoint: { type: 'string' },
        list: { type: 'string' },
        classes: { type: 'string' },
        iterations: { type: 'string' },
        port: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new MicflowError('invalid-argument', `${(error as Error).message}\n${usage}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new MicflowError('invalid-argument', `name one folder of images\n${usage}`);
  const iterations = values.iterations === undefined ? undefined : Number(values.iterations);
  if (iterations !== undefined && (!Number.isInteger(iterations) || iterations < 1)) throw new MicflowError('invalid-argument', `--iterations ${values.iterations}: expected a positive integer`);
  const classNames = values.classes?.split(',').map((name) => name.trim());
  if (classNames && (classNames.length < 2 || classNames.some((name) => !name))) throw new MicflowError('invalid-argument', `--classes ${values.classes}: name at least two classes, comma-separated, background first`);
  const root = join(import.meta.dirname, '..', '..');
  execFileSync(process.execPath, [join(root, 'scripts', 'build-browser.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const server = await startStudioServer({
    folder: positionals[0],
    checkpoint: values.checkpoint,
    list: values.list,
    classNames,
    iterations,
    port: dashboardPort(values.port, '--port') ?? 6090,
    bundleDirectory: join(root, 'build', 'browser'),
  });
  process.stdout.write(`micflow studio: ${server.url}  (Ctrl-C to stop)\n`);
  await untilStopSignal();
  await server.close();
  return 0;
}

runCommand(main);
