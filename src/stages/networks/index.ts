/**
 * The networks family (see stageFamilyTitles in ../built-in-stages.ts): one alphabetical line per stage. An
 * architecture is derived from its unit (src/networks/<net>.ts: network, params schema, name, reference), so a new one
 * is that file plus one line here; stages built from other networks (EmaCopy, MultiNet) are files of their own.
 */
import { attentionUNet2DUnit } from '../../networks/attention-unet2d.js';
import { canetUnit } from '../../networks/canet.js';
import { cctUNet2DUnit } from '../../networks/cct-unet2d.js';
import { coplenetUnit } from '../../networks/coplenet.js';
import { dualBranchUNet2DUnit } from '../../networks/dual-branch-unet2d.js';
import { dualBranchUNet3DUnit } from '../../networks/dual-branch-unet3d.js';
import { multiDecoderUNet2DUnit } from '../../networks/multi-decoder-unet2d.js';
import { nestedUNet2DUnit } from '../../networks/nested-unet2d.js';
import { unet2dScSEUnit } from '../../networks/unet2d-scse.js';
import { unet2dUnit } from '../../networks/unet2d.js';
import { unet2d5Unit } from '../../networks/unet2d5.js';
import { unet3dScSEUnit } from '../../networks/unet3d-scse.js';
import { unet3dUnit } from '../../networks/unet3d.js';
import { networkStage } from './network-stage.js';

export const AttentionUNet2DStage = networkStage(attentionUNet2DUnit);
export const CANetStage = networkStage(canetUnit);
export const CctUNet2DStage = networkStage(cctUNet2DUnit);
export const COPLENetStage = networkStage(coplenetUnit);
export const DualBranchUNet2DStage = networkStage(dualBranchUNet2DUnit);
export const DualBranchUNet3DStage = networkStage(dualBranchUNet3DUnit);
export { EmaCopy } from './ema-copy.js';
export const MultiDecoderUNet2DStage = networkStage(multiDecoderUNet2DUnit);
export { MultiNetStage } from './multi-net-stage.js';
export const NestedUNet2DStage = networkStage(nestedUNet2DUnit);
export const UNet2D5Stage = networkStage(unet2d5Unit);
export const UNet2DScSEStage = networkStage(unet2dScSEUnit);
export const UNet2DStage = networkStage(unet2dUnit);
export const UNet3DScSEStage = networkStage(unet3dScSEUnit);
export const UNet3DStage = networkStage(unet3dUnit);
