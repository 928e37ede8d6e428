import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

describe('worker', () => {
  it('answers GET /health inside workerd', async () => {
    const response = await exports.default.fetch('http://fluidbench.test/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, service: 'fluidbench' });
  });

  it('answers 404 for an unknown route', async () => {
    const response = await exports.default.fetch('http://fluidbench.test/nope');
    expect(response.status).toBe(404);
  });
});
