/**
 * Registers TensorFlow.js's own gradient functions with tfjs-core.
 *
 * `@tensorflow/tfjs-core` registers no gradients when imported by itself, and its `dist/register_all_gradients.js`
 * is an ES module with extension-less imports that Node cannot load. The union package `@tensorflow/tfjs` bundles
 * all of tfjs's gradient configs and registers them with the (deduplicated) tfjs-core instance on import. Kernels
 * whose tfjs gradient is broken or missing on some backend (Conv2D filter gradient on wasm, MaxPool, resize, batch
 * norm) are not differentiated through tfjs at all: src/runtime/ops defines micflow's own ops with custom gradients.
 */
import '@tensorflow/tfjs';
