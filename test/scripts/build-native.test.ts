import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'build-native.mjs');
const run = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, [script, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });

describe('build-native script', () => {
  describe('having no C++ compiler', () => {
    it('when run by npm install should print one line saying why it skipped and exit 0', () => {
      const result = run({ CXX: '/nonexistent/g++' });
      expect(result.status).toBe(0);
      expect(result.stdout.trim().split('\n')).toHaveLength(1);
      expect(result.stdout).toMatch(/native oneDNN backend not built \(no C\+\+ compiler: \/nonexistent\/g\+\+ not found\)/);
    });

    it('when run with --strict should exit 1', () => {
      expect(run({ CXX: '/nonexistent/g++' }, '--strict').status).toBe(1);
    });
  });

  describe('having MICFLOW_SKIP_NATIVE=1', () => {
    it('when run should skip without looking for a compiler', () => {
      const result = run({ MICFLOW_SKIP_NATIVE: '1', CXX: '/nonexistent/g++' });
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/not built \(MICFLOW_SKIP_NATIVE=1\)/);
    });
  });
});
