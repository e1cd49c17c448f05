import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksBackend, conformanceChecks, conformanceGroups, type CheckOutcome } from '../../src/conformance/index.js';
import { expectConformance } from '../runtime/expect-conformance.js';
import { buildBrowserBundle, launchChromium, removeBrowserBundle, serveBundle } from './serve-bundle.js';

/**
 * Kernel conformance of the webgl backend (issue 19): the checks of src/conformance, the ones
 * test/runtime/kernel-conformance.test.ts runs on wasm and native, run in a chromium tab on tfjs's webgl backend
 * (Debian's chromium, WebGL 2 on ANGLE over SwiftShader, float32 textures), with the cpu backend as the reference in
 * the same tab, from the bundle's conformance.js. Each check passes its tolerance or is a pinned known webgl defect
 * that still shows; no check leaves tensors behind. CI sets MICFLOW_REQUIRE_BROWSER=1, so there it cannot skip.
 *
 * Known webgl defects (tfjs 4.22), pinned in src/conformance/known-defects.ts:
 * - PadV2 of rank 5 does not compile (the packed pad shader calls lessThan on ivec5), nor then slice's gradient of a
 *   rank-5 tensor;
 * - Reverse of rank 5 throws "not yet supported";
 * - Select of rank 5 throws "not yet supported" (tfjs's own LeakyRelu gradient selects);
 * - AvgPoolGrad and AvgPool3DGrad with 'same' padding agree with cpu but not with finite differences of their own
 *   forward (as on cpu and wasm).
 * micflow's ops avoid the rank-5 three (conv3dSame, maxPool3d2x2x2, padVolume, the LeakyRelu gradient), so everything
 * else, micflow's 2D and 3D ops and every raw 2D/3D convolution, pooling, matmul, elementwise and reduction kernel,
 * matches cpu to within 1.5e-5 (mostly 1e-7; the 3D ops' values and gradients within 6.9e-6) and the 3D ops'
 * gradients match finite differences to within 2.2e-5, so webgl gets the same tolerances as wasm (see tolerances.ts).
 */
const CHROMIUM = '/usr/bin/chromium';
const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable && process.env.MICFLOW_REQUIRE_BROWSER === '1') throw new Error(`MICFLOW_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install chromium)`);

const webglChecks = conformanceChecks.filter((c) => checksBackend(c, 'webgl'));

describe.skipIf(!browserAvailable)(`kernel conformance on webgl in a chromium tab${browserAvailable ? '' : ` (skipped: ${CHROMIUM} is absent; apt-get install chromium)`}`, () => {
  let browser: Browser;
  let server: Server;
  let bundle: string | undefined;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    bundle = buildBrowserBundle();
    let url: string;
    ({ url, server } = await serveBundle(bundle));
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    // Page code goes as text (the project type-checks without the DOM's types).
    await page.evaluate(`import(new URL('/conformance.js', location.href).href)`);
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
    removeBrowserBundle(bundle);
  });

  it('should run on WebGL 2 with float32 textures (the tolerances assume float32), with the same checks as Node', async () => {
    const environment = (await page.evaluate(`micflowConformance.prepare('webgl')`)) as { backend: string; flags: Record<string, unknown> };
    expect(environment.backend).toBe('webgl');
    expect(environment.flags).toMatchObject({ WEBGL_VERSION: 2, WEBGL_RENDER_FLOAT32_ENABLED: true, WEBGL_DOWNLOAD_FLOAT_ENABLED: true });
    expect(await page.evaluate('micflowConformance.ids')).toEqual(conformanceChecks.map((c) => c.id));
  });

  for (const group of conformanceGroups) {
    describe(group, () => {
      for (const check of webglChecks.filter((c) => c.group === group)) {
        it(check.title('webgl'), async () => {
          const outcome = (await page.evaluate(`micflowConformance.run('webgl', ${JSON.stringify(check.id)})`)) as CheckOutcome;
          expect(outcome.backend).toBe('webgl');
          expectConformance(outcome);
        });
      }
    });
  }

  it('should raise no error in the tab', () => {
    expect(errors).toEqual([]);
  });
});
