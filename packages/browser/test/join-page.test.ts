import { describe, expect, it } from 'vitest';
import { refusalText } from '../src/browser-client.js';
import { JOIN_APP_PATH, renderJoinPage } from '../src/join-page.js';
import { loadJoinAssets } from '../src/node.js';

describe('the join page', () => {
  it('loads its one script from the coordinator and carries no inline script', () => {
    const html = renderJoinPage({ certFingerprint: '' });
    expect(html).toContain(`<script src="${JOIN_APP_PATH}"></script>`);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('data-cert-fingerprint=""');
    expect(html).toMatch(/no TLS/);
  });

  it('shows the certificate fingerprint under TLS, in colon pairs', () => {
    const html = renderJoinPage({ certFingerprint: 'AB'.repeat(32) });
    expect(html).toContain(`data-cert-fingerprint="${'ab'.repeat(32)}"`);
    expect(html).toContain(`<code id="cert">${Array(32).fill('ab').join(':')}</code>`);
  });

  it('is served with its bundled scripts and the wasm kernels (built by npm run build)', () => {
    const assets = loadJoinAssets('');
    expect(assets.files.map((f) => f.path)).toEqual(['/join/app.js', '/join/lane.js', '/join/kernels.wasm']);
    const wasm = assets.files[2].bytes;
    expect([...wasm.subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]);
    // Bundled for the browser: no Node built-in inside.
    for (const f of assets.files.slice(0, 2)) expect(new TextDecoder().decode(f.bytes)).not.toMatch(/require\("node:/);
  });

  it('names --kernel wasm when a reproducible run refuses a tab for its backend', () => {
    expect(refusalText('GS_ERR_BACKEND_MISMATCH', 'needs native')).toMatch(/needs native — .*--kernel wasm/);
    expect(refusalText('GS_ERR_AUTH', 'wrong token')).toBe('wrong token');
  });
});
