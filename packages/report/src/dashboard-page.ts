/**
 * The live dashboard's page (the coordinator's `GET /`): a shell with no run data in it, the
 * reports' stylesheet and one small inline script. The script takes the token from the URL
 * fragment (`#token=…`, which the browser never sends) or from the form it shows without one,
 * keeps it in sessionStorage for reloads, and reads `/dashboard/events` with fetch and an
 * `Authorization: Bearer` header (EventSource sends no headers). Each `view` event's HTML
 * replaces `<main>`. A refused token (401/403) shows the coordinator's reason and the form again;
 * a stream that ends (the run finished) says so and keeps the last view. Nothing else is fetched.
 */
import { CSS } from './html.js';
import { escapeXml } from './svg.js';

const DASHBOARD_CSS = `
#login { display: flex; gap: 8px; align-items: center; margin-top: 12px; }
#login input { font: inherit; padding: 4px 8px; min-width: 320px; }
#login[hidden] { display: none; }
#connection { margin: 8px 0 0; color: #555; font-size: 13px; }
#connection.refused { color: #b3261e; font-weight: 600; }
tr.straggler td { background: #fff1e0; }
tr.straggler td:first-child { font-weight: 600; color: #a14d00; }
tr.departed td { color: #888; }
`;

/** The page's script (plain ES2020, no imports). */
const SCRIPT = `
(() => {
  const main = document.querySelector('main');
  const status = document.getElementById('connection');
  const form = document.getElementById('login');
  const input = form.querySelector('input');
  const say = (text, refused) => { status.textContent = text; status.className = refused ? 'refused' : ''; };
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem('gradswarm-token', fromHash);
    history.replaceState(null, '', location.pathname);
  }
  let token = sessionStorage.getItem('gradswarm-token');
  let controller = null;
  async function connect() {
    if (!token) { form.hidden = false; say('Give the run token or the --dashboard-token to watch this run.'); return; }
    form.hidden = true;
    controller?.abort();
    controller = new AbortController();
    say('connecting…');
    let res;
    try {
      res = await fetch('/dashboard/events', { headers: { authorization: 'Bearer ' + token }, signal: controller.signal, cache: 'no-store' });
    } catch (err) {
      say('cannot reach the coordinator: ' + err.message, true);
      return;
    }
    if (!res.ok) {
      let reason = res.status + ' ' + res.statusText;
      try { reason = (await res.json()).error || reason; } catch {}
      sessionStorage.removeItem('gradswarm-token');
      token = null;
      form.hidden = false;
      say('refused: ' + reason, true);
      document.body.dataset.refused = 'true';
      return;
    }
    document.body.dataset.refused = 'false';
    say('live');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\\n\\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = 'message';
          let data = '';
          for (const line of block.split('\\n')) {
            if (line.startsWith('event:')) type = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trimStart();
          }
          if (type === 'view') {
            main.innerHTML = JSON.parse(data).html;
            document.body.dataset.views = String(Number(document.body.dataset.views || 0) + 1);
          }
        }
      }
      say('the run has ended (the stream closed); this is its last view');
    } catch (err) {
      if (err.name !== 'AbortError') say('the stream broke: ' + err.message, true);
    }
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    token = input.value.trim();
    if (token) sessionStorage.setItem('gradswarm-token', token);
    connect();
  });
  connect();
})();
`;

/** The dashboard page (one self-contained HTML document). */
export function renderDashboardPage(title = 'gradswarm: live run'): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(title)}</title>`,
    `<style>${CSS}${DASHBOARD_CSS}</style>`,
    '</head>',
    '<body>',
    `<header><h1>${escapeXml(title)}</h1>`,
    '<p id="connection">loading…</p>',
    '<form id="login" hidden><label>token <input type="password" name="token" autocomplete="off"></label><button type="submit">watch</button></form>',
    '</header>',
    '<main></main>',
    '<footer>Served by the gradswarm coordinator; drawn with the report renderers; nothing is fetched from elsewhere.</footer>',
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
