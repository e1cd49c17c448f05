/** Every kind of error micflow reports to a user. The CLI prints the message alone and exits non-zero. */
export type MicflowErrorKind =
  | 'unknown-backend'
  | 'backend-unavailable'
  | 'invalid-pipeline'
  | 'unknown-pipeline'
  | 'invalid-argument'
  | 'invalid-data'
  | 'invalid-checkpoint'
  | 'invalid-shape'
  | 'stage-failed';

/** An error meant for the user: one readable message, with a `kind` that tests and callers can match on. */
export class MicflowError extends Error {
  constructor(
    readonly kind: MicflowErrorKind,
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(details.length ? `${message}\n${details.map((d) => `  - ${d}`).join('\n')}` : message);
    this.name = 'MicflowError';
  }
}

export function isMicflowError(error: unknown): error is MicflowError {
  return error instanceof MicflowError;
}
