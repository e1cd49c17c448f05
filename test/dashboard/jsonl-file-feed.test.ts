import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlFileFeed } from '../../src/dashboard/jsonl-file-feed.js';

const dir = mkdtempSync(join(tmpdir(), 'micflow-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('JsonlFileFeed', () => {
  describe('having a file that grows by whole and half lines', () => {
    it('should hand on each complete line once, with its index, and hold a half-written one back', () => {
      const file = join(dir, 'grow.jsonl');
      writeFileSync(file, '{"a":1}\n{"a":');
      const feed = new JsonlFileFeed(file);
      const seen: [string, number][] = [];
      feed.onLine((line, index) => seen.push([line, index]));
      feed.poll();
      expect(seen).toEqual([['{"a":1}', 0]]);
      appendFileSync(file, '2}\n\n{"a":3}\n');
      feed.poll();
      feed.poll();
      expect(seen).toEqual([
        ['{"a":1}', 0],
        ['{"a":2}', 1],
        ['{"a":3}', 2],
      ]);
      expect(feed.lines).toEqual(['{"a":1}', '{"a":2}', '{"a":3}']);
    });

    it('should keep multi-byte characters split across two reads whole', () => {
      const file = join(dir, 'utf8.jsonl');
      const bytes = Buffer.from('{"n":"µ±"}\n');
      writeFileSync(file, bytes.subarray(0, 7));
      const feed = new JsonlFileFeed(file);
      feed.poll();
      appendFileSync(file, bytes.subarray(7));
      feed.poll();
      expect(feed.lines).toEqual(['{"n":"µ±"}']);
    });
  });

  describe('when the file does not exist yet', () => {
    it('should wait for it and read it once it appears', () => {
      const file = join(dir, 'later.jsonl');
      const feed = new JsonlFileFeed(file);
      feed.poll();
      expect(feed.lines).toEqual([]);
      writeFileSync(file, '{"b":1}\n');
      feed.poll();
      expect(feed.lines).toEqual(['{"b":1}']);
    });
  });

  describe('when the file shrinks (a new run rewrote it)', () => {
    it('should tell the reset listeners and start over from its first line', () => {
      const file = join(dir, 'rewritten.jsonl');
      writeFileSync(file, '{"c":1}\n{"c":2}\n');
      const feed = new JsonlFileFeed(file);
      feed.poll();
      let resets = 0;
      feed.onReset(() => resets++);
      writeFileSync(file, '{"d":1}\n');
      feed.poll();
      expect(resets).toBe(1);
      expect(feed.lines).toEqual(['{"d":1}']);
    });
  });

  describe('when polling by timer', () => {
    it('should pick up an append within a few polls', async () => {
      const file = join(dir, 'timer.jsonl');
      writeFileSync(file, '');
      const feed = new JsonlFileFeed(file, 20).start();
      const next = new Promise<string>((resolve) => feed.onLine((line) => resolve(line)));
      appendFileSync(file, '{"e":1}\n');
      expect(await next).toBe('{"e":1}');
      feed.stop();
    });
  });
});
