import { isMicflowError } from '../errors/micflow-error.js';

/** Prints one readable message for an error (a stack trace only with MICFLOW_DEBUG=1) and returns the exit code. */
export function reportCliError(error: unknown, stream: NodeJS.WriteStream = process.stderr): number {
  if (isMicflowError(error)) {
    stream.write(`micflow: ${error.message}\n`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  stream.write(`micflow: unexpected error: ${message}\n`);
  if (process.env.MICFLOW_DEBUG && error instanceof Error && error.stack) stream.write(`${error.stack}\n`);
  else stream.write('(set MICFLOW_DEBUG=1 for the stack trace)\n');
  return 1;
}

/**
 * Runs a command's `main` with the process's arguments: its result becomes the exit code, and an error is reported
 * in one message ({@link reportCliError}) with its exit code.
 */
export function runCommand(main: (argv: readonly string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.exitCode = reportCliError(error);
    },
  );
}
