/**
 * The browser bundle's entry (npm run build:browser → build/browser/micflow.js): run a pipeline module in a tab on
 * files the user opened. See README "In the browser".
 */
export { browserBackendCandidates, setBrowserWasmPaths, type BrowserBackendName } from './browser-backends.js';
export { browserStageClasses, browserStageRegistry } from './browser-stages.js';
export { itkWasmFormatOf, setItkWasmPaths } from './itk-wasm-images.js';
export { decodeOpenedImage, isOpened, openedFilesOf, openedFolderSlices, openedPathOf, type OpenedFiles } from './opened-files.js';
export { browserPipelineOf, runPipelineInBrowser, type BrowserRunOptions, type BrowserRunResult } from './run-pipeline-in-browser.js';
