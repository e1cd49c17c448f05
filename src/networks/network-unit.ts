import type { z } from 'zod';
import type { SeededRandom } from '../runtime/seeded-random.js';
import type { SegmentationNetwork } from './segmentation-network.js';

/**
 * A network architecture as one unit: its params schema (every param described, defaults there only), how to build it
 * and what a stage made from it is called and cites. src/stages/networks derives the stage
 * (`networkStage(unet2dUnit)`), so a new architecture is its file plus one line in the family index.
 */
export interface NetworkUnit<P, N extends SegmentationNetwork = SegmentationNetwork> {
  /** The name pipelines use (`stage('UNet2D', ...)`). */
  readonly className: string;
  /** One line for `--list`. */
  readonly description: string;
  /**
   * The images it takes: 2, [N, H, W, C] slices or 2D images; 3, [N, D, H, W, C] volumes (UNet2D5 too: 2.5D convolutions
   * over volumes). Checked against the test cases before a run starts (a 2D network scores volumes only slice-wise).
   * Optional so that a unit written before it existed still registers; without it that check is skipped.
   */
  readonly spatialDims?: 2 | 3;
  /** The paper the architecture comes from. */
  readonly reference: string;
  /** The network's params as a pipeline writes them; its output is what the constructor takes beside name and random. */
  readonly paramsSchema: z.ZodType<P>;
  /** A new network named `name` (the prefix of its variable names) of these params, with weights drawn from `random`. */
  create(name: string, params: P, random: SeededRandom): N;
}

/** What a network's constructor takes beside its params (the output of its unit's schema). */
export interface NetworkInstanceArgs {
  /** Prefix of every variable name; must be unique among live networks. Default a free name after the class. */
  readonly name?: string;
  /** Randomness for weight initialisation; each variable draws from `random.derive(its path)`. Default seed 0. */
  readonly random?: SeededRandom;
}
