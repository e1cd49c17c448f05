import { parentPort } from 'node:worker_threads';
import { isMicflowError } from '../../errors/micflow-error.js';
import { decodeCase, type DecodeExpectations, type DecodedCase } from './decode-case.js';
import type { DatasetRow } from './dataset-list.js';

/** A request to the decode worker: one dataset row. */
export interface DecodeRequest {
  readonly id: number;
  readonly row: DatasetRow;
  readonly expectations: DecodeExpectations;
}

/** The worker's answer: the decoded arrays (their buffers transferred, not copied), or the error to rethrow. */
export type DecodeResponse =
  | { readonly id: number; readonly decoded: DecodedCase }
  | { readonly id: number; readonly error: { readonly kind?: string; readonly message: string } };

/** Worker-thread entry: decodes rows off the training thread (see DecodeWorkerPool). */
parentPort?.on('message', async (request: DecodeRequest) => {
  let response: DecodeResponse;
  const transfer: ArrayBuffer[] = [];
  try {
    const decoded = await decodeCase(request.row, request.expectations);
    for (const array of [decoded.image, decoded.label, decoded.pixelWeight]) {
      if (array && array.data.buffer instanceof ArrayBuffer && !transfer.includes(array.data.buffer)) transfer.push(array.data.buffer);
    }
    response = { id: request.id, decoded };
  } catch (error) {
    response = { id: request.id, error: { kind: isMicflowError(error) ? error.kind : undefined, message: error instanceof Error ? error.message : String(error) } };
  }
  parentPort!.postMessage(response, transfer);
});
