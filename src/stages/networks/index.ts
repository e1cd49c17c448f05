/** The networks family (see stageFamilyTitles in ../built-in-stages.ts): one alphabetical line per stage; a new stage is one file plus one line here. */
export { AttentionUNet2DStage } from './attention-unet2d-stage.js';
export { CANetStage } from './canet-stage.js';
export { CctUNet2DStage } from './cct-unet2d-stage.js';
export { COPLENetStage } from './coplenet-stage.js';
export { DualBranchUNet2DStage } from './dual-branch-unet2d-stage.js';
export { DualBranchUNet3DStage } from './dual-branch-unet3d-stage.js';
export { EmaCopy } from './ema-copy.js';
export { MultiDecoderUNet2DStage } from './multi-decoder-unet2d-stage.js';
export { MultiNetStage } from './multi-net-stage.js';
export { NestedUNet2DStage } from './nested-unet2d-stage.js';
export { UNet2D5Stage } from './unet2d5-stage.js';
export { UNet2DScSEStage } from './unet2d-scse-stage.js';
export { UNet2DStage } from './unet2d-stage.js';
export { UNet3DScSEStage } from './unet3d-scse-stage.js';
export { UNet3DStage } from './unet3d-stage.js';
