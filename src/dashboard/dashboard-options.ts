import { MicflowError } from '../errors/micflow-error.js';

/** The dashboard flags shared by `npm run dashboard` and `npm run pipeline -- … --dashboard`. */
export const DASHBOARD_FLAG_HELP = `  --port N          the dashboard's port (default 6080; 0: any free port)
  --host ADDRESS    listen on ADDRESS instead of 127.0.0.1 (other machines can then reach it): needs --token
  --token SECRET    every request must carry it (the printed address holds it); at least 16 characters`;

/** A port number from a flag: an integer 0–65535. */
export function dashboardPort(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new MicflowError('invalid-argument', `${flag} ${text}: expected a port number 0–65535`);
  return port;
}
