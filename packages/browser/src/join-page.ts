/**
 * The /join page: a small HTML shell with no inline script (its CSP allows scripts from the
 * coordinator's origin only), the script /join/app.js and the tab's progress. The coordinator
 * renders it once with what only it knows: under TLS the SHA-256 of its certificate, which the
 * page shows for the person to compare with what the coordinator printed, and binds into the
 * handshake as `gradswarm worker --tls-fingerprint` does.
 */

/** Paths the coordinator serves for a tab (join-routes.ts there). */
export const JOIN_PATH = '/join';
export const JOIN_APP_PATH = '/join/app.js';
export const JOIN_LANE_PATH = '/join/lane.js';
export const JOIN_WASM_PATH = '/join/kernels.wasm';

export interface JoinPageOptions {
  /** SHA-256 of the coordinator's TLS certificate (hex), '' on plain ws. */
  readonly certFingerprint: string;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The page's HTML. */
export function renderJoinPage(o: JoinPageOptions): string {
  const fp = o.certFingerprint.replace(/:/g, '').toLowerCase();
  const tls = fp
    ? `<p>Coordinator certificate SHA-256: <code id="cert">${escapeHtml(fp.match(/../g)!.join(':'))}</code> — compare it with the one the coordinator printed.</p>`
    : '<p>Plain WebSocket (no TLS): the token is never sent, but the traffic is not encrypted.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gradswarm: join as a worker</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:44rem;padding:0 1rem;color:#1d2330}
h1{font-size:1.3rem}#state{font-weight:600}[data-state=refused] #state,[data-state=stopped] #state{color:#b3261e}
[data-state=finished] #state{color:#1e6b34}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dt{color:#5b6272}dd{margin:0;font-variant-numeric:tabular-nums}progress{width:100%}code{word-break:break-all}
</style></head>
<body data-state="starting" data-cert-fingerprint="${escapeHtml(fp)}">
<h1>gradswarm: this tab joins the run as a worker</h1>
<p>State: <span id="state">starting</span> — <span id="detail">loading the script</span></p>
<progress id="download" max="1" value="0"></progress>
<dl><dt>Web Workers</dt><dd id="threads">–</dd><dt>Steps served</dt><dd id="steps">0</dd>
<dt>Samples</dt><dd id="samples">0</dd><dt>Samples/s</dt><dd id="rate">–</dd></dl>
${tls}
<p>Closing this tab leaves the run; the coordinator gives its shards to the other workers.</p>
<script src="${JOIN_APP_PATH}"></script>
</body></html>
`;
}
