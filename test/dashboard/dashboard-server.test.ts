import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverDashboardRuns } from '../../src/dashboard/dashboard-runs.js';
import { startDashboardServer, type DashboardServer } from '../../src/dashboard/dashboard-server.js';
import { encodeValidationOverlay } from '../../src/io/validation-overlay-file.js';

const root = mkdtempSync(join(tmpdir(), 'micflow-dashboard-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A run directory with these metrics lines. */
function plantRun(name: string, lines: object[]): string {
  const directory = join(root, name);
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'metrics.jsonl'), lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
  return directory;
}

/** The first `count` messages of a server-sent event stream: [id, data] pairs. */
async function readMessages(url: string, count: number, headers: Record<string, string> = {}): Promise<[string, string][]> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const messages: [string, string][] = [];
  while (messages.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    let end = text.indexOf('\n\n');
    while (end >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const id = /^id: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (id !== undefined && data !== undefined) messages.push([id, data]);
      end = text.indexOf('\n\n');
    }
  }
  controller.abort();
  return messages;
}

/** A GET with a chosen Host header (fetch will not send one of its own choosing). */
function getWithHost(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { Host: host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

describe('the dashboard server', () => {
  let server: DashboardServer;
  let base: string;
  let runA: string;

  beforeAll(async () => {
    runA = plantRun('sweep/a', [
      { type: 'run-started', pipeline: 'supervised', iterations: 3 },
      { type: 'iteration', iteration: 1, terms: { ce: 1 } },
      { type: 'iteration', iteration: 2, terms: { ce: 0.5 } },
    ]);
    plantRun('sweep/b', [{ type: 'run-started', pipeline: 'mean-teacher', iterations: 3 }]);
    mkdirSync(join(runA, 'overlays', 'validate'), { recursive: true });
    writeFileSync(
      join(runA, 'overlays', 'validate', '000002-0.mfov'),
      encodeValidationOverlay({ shape: [1, 2], classes: 2, image: Uint8Array.from([0, 255]), label: Uint8Array.from([0, 1]), prediction: Uint8Array.from([1, 1]) }),
    );
    writeFileSync(join(runA, 'secret.txt'), 'not for the page');
    server = await startDashboardServer({ paths: [join(root, 'sweep')], port: 0, pollMilliseconds: 20 });
    base = server.url;
  });
  afterAll(() => server.close());

  describe('having a folder of two runs', () => {
    it('should list both, by the path they go by', async () => {
      const runs = discoverDashboardRuns([join(root, 'sweep')]);
      expect(runs.map((run) => run.directory)).toEqual([join(root, 'sweep/a'), join(root, 'sweep/b')]);
      const listed = (await (await fetch(`${base}api/runs`)).json()) as { id: string }[];
      expect(listed.map((run) => run.id)).toEqual(runs.map((run) => run.id));
    });

    it('should serve the page, its script and uPlot from this machine, under a strict content policy', async () => {
      const page = await fetch(base);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      const html = await page.text();
      expect(html).toContain('assets/uPlot.iife.min.js');
      expect(html).not.toMatch(/https?:\/\//);
      for (const asset of ['assets/dashboard.js', 'assets/uPlot.iife.min.js', 'assets/uPlot.min.css', 'assets/dashboard.css']) {
        expect((await fetch(`${base}${asset}`)).status, asset).toBe(200);
      }
    });
  });

  describe('when a page follows a run', () => {
    it('should send every metrics line as a message whose id is its line index, then lines appended later', async () => {
      const id = discoverDashboardRuns([join(root, 'sweep')])[0].id;
      const pending = readMessages(`${base}api/events?run=${encodeURIComponent(id)}`, 4);
      setTimeout(() => appendFileSync(join(runA, 'metrics.jsonl'), `${JSON.stringify({ type: 'iteration', iteration: 3, terms: { ce: 0.25 } })}\n`), 100);
      const messages = await pending;
      expect(messages.map(([index]) => index)).toEqual(['0', '1', '2', '3']);
      expect(JSON.parse(messages[3][1])).toEqual({ type: 'iteration', iteration: 3, terms: { ce: 0.25 } });
    });

    it('should resume after Last-Event-ID (the browser reconnecting), or from ?from=', async () => {
      const id = encodeURIComponent(discoverDashboardRuns([join(root, 'sweep')])[0].id);
      expect((await readMessages(`${base}api/events?run=${id}`, 2, { 'Last-Event-ID': '1' })).map(([index]) => index)).toEqual(['2', '3']);
      expect((await readMessages(`${base}api/events?run=${id}&from=3`, 1)).map(([index]) => index)).toEqual(['3']);
    });

    it('should refuse a run it does not show', async () => {
      expect((await fetch(`${base}api/events?run=${encodeURIComponent(root)}`)).status).toBe(404);
    });
  });

  describe('when a page asks for an overlay', () => {
    it('should send the overlay file gzip-encoded, and nothing outside overlays/', async () => {
      const id = encodeURIComponent(discoverDashboardRuns([join(root, 'sweep')])[0].id);
      const response = await fetch(`${base}api/overlay?run=${id}&file=${encodeURIComponent('overlays/validate/000002-0.mfov')}`);
      expect(response.status).toBe(200);
      // fetch inflates Content-Encoding: gzip, as the browser does: the raw planes arrive.
      const raw = Buffer.from(await response.arrayBuffer());
      expect(raw.toString('latin1', 0, 4)).toBe('MFOV');
      expect([...raw.subarray(raw.length - 6)]).toEqual([0, 255, 0, 1, 1, 1]);
      for (const file of ['secret.txt', 'overlays/../secret.txt', 'overlays/validate/../../secret.txt', '/etc/passwd', 'overlays/validate/missing.mfov']) {
        const status = (await fetch(`${base}api/overlay?run=${id}&file=${encodeURIComponent(file)}`)).status;
        expect(status, file).toBeGreaterThanOrEqual(400);
      }
    });
  });

  describe('when a request names another host (DNS rebinding)', () => {
    it('should refuse it, and answer localhost', async () => {
      expect(await getWithHost(server.port, '/api/runs', 'evil.example')).toBe(421);
      expect(await getWithHost(server.port, '/api/runs', `localhost:${server.port}`)).toBe(200);
    });
  });
});

describe('the dashboard server off loopback', () => {
  describe('having no token', () => {
    it('should refuse to start, naming --token', async () => {
      const run = plantRun('exposed', []);
      await expect(startDashboardServer({ paths: [run], host: '0.0.0.0', port: 0 })).rejects.toThrow(/--host 0\.0\.0\.0: .*needs --token/);
    });
  });

  describe('having a token', () => {
    it('should answer only requests that carry it', async () => {
      const run = plantRun('guarded', []);
      const token = 'a-long-enough-secret-1234';
      const server = await startDashboardServer({ paths: [run], host: '127.0.0.1', port: 0, token });
      try {
        expect(server.url).toContain(`?token=${token}`);
        const plain = `http://127.0.0.1:${server.port}/api/runs`;
        expect((await fetch(plain)).status).toBe(401);
        expect((await fetch(`${plain}?token=wrong-wrong-wrong-wrong`)).status).toBe(401);
        expect((await fetch(`${plain}?token=${token}`)).status).toBe(200);
        expect((await fetch(plain, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
      } finally {
        await server.close();
      }
    });

    it('should refuse a short token', async () => {
      await expect(startDashboardServer({ paths: [plantRun('short', [])], port: 0, token: 'short' })).rejects.toThrow(/--token: at least 16 characters/);
    });
  });

  describe('when the port is taken', () => {
    it('should say so, naming the port and --port', async () => {
      const run = plantRun('busy', []);
      const first = await startDashboardServer({ paths: [run], port: 0 });
      try {
        await expect(startDashboardServer({ paths: [run], port: first.port })).rejects.toThrow(new RegExp(`port ${first.port} on 127\\.0\\.0\\.1 is in use.*--port`));
      } finally {
        await first.close();
      }
    });
  });

  describe('when a path is not there', () => {
    it('should name it', async () => {
      await expect(startDashboardServer({ paths: [join(root, 'nope')], port: 0 })).rejects.toThrow(/nope: no such run directory or folder of runs/);
    });
  });
});
