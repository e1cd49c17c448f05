import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';

/** The project root, the bundle folder and the MIME types the test server gives. */
export const projectRoot = join(import.meta.dirname, '../..');
const bundle = join(projectRoot, 'build', 'browser');
const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };

/** Builds build/browser/ (npm run build:browser; about 2 s). */
export function buildBrowserBundle(): void {
  execFileSync(process.execPath, [join(projectRoot, 'scripts', 'build-browser.mjs')], { cwd: projectRoot, stdio: 'pipe' });
}

/**
 * Serves build/browser/ at / and fixtures/ at /fixtures/ on loopback, on a free port: the tab fetches the fixture
 * files into memory as the folder picker would give them (nothing goes the other way).
 */
export async function serveBundle(): Promise<{ url: string; server: Server }> {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = path.startsWith('/fixtures/') ? join(projectRoot, path) : join(bundle, path === '/' ? 'index.html' : path);
    try {
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`, server };
}
