/**
 * The dashboard server in a process of its own, for a run that shows its dashboard live (`--dashboard`): training
 * keeps its event loop and cores to itself, and the page stays answerable while a tick computes. Started by
 * {@link startDashboardProcess}, which passes the options as JSON; it reports `{ url }` or `{ error }` once over IPC,
 * then serves until the parent closes it (SIGTERM) or goes away. SIGINT (Ctrl-C in the terminal, sent to the whole
 * process group) is left to the parent, which stops the run first.
 */
import { isMicflowError } from '../errors/micflow-error.js';
import { startDashboardServer, type DashboardServerOptions } from './dashboard-server.js';

const options = JSON.parse(process.argv[2] ?? '{}') as DashboardServerOptions;
process.on('SIGINT', () => {});
startDashboardServer(options).then(
  (server) => {
    const stop = () => void server.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('disconnect', stop);
    process.send?.({ url: server.url });
  },
  (error: unknown) => {
    process.send?.({ error: error instanceof Error ? error.message : String(error), kind: isMicflowError(error) ? error.kind : undefined }, () => process.exit(1));
  },
);
