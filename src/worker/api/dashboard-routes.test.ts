import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

function call(path: string, init: RequestInit = {}) {
  return exports.default.fetch(`http://fluidbench.test${path}`, init);
}

describe('dashboard', () => {
  it('serves the page, its script and styles without a token, under a strict CSP', async () => {
    const page = await call('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<script src="/ui.js"></script>');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const script = await call('/ui.js');
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await script.text()).length).toBeGreaterThan(50_000);
    expect((await call('/ui.css')).headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('leaves the API behind the token', async () => {
    expect((await call('/v1/runs')).status).toBe(401);
  });
});
