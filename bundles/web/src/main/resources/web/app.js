// The status page: follows /api/events (one state a second), draws the throughput of the last five
// minutes, and sends the two actions with the page's CSRF token. Every value goes in as text, never
// as HTML: identities come from certificates.
'use strict';

const WINDOW_MS = 5 * 60 * 1000;
const $ = (id) => document.getElementById(id);
let points = []; // [epoch ms, server in, server out, client in, client out], bytes per second
let token = null;
let serving = false;

fetch('api/token').then((r) => r.json()).then((t) => { token = t.token; });

function bits(bytesPerSecond) {
  const b = bytesPerSecond * 8;
  const units = [[1e9, 'Gbit/s'], [1e6, 'Mbit/s'], [1e3, 'kbit/s']];
  for (const [size, unit] of units) {
    if (b >= size) return (b / size).toFixed(1) + ' ' + unit;
  }
  return b.toFixed(0) + ' bit/s';
}

function bytes(n) {
  const units = [[1 << 30, 'GiB'], [1 << 20, 'MiB'], [1 << 10, 'KiB']];
  for (const [size, unit] of units) {
    if (n >= size) return (n / size).toFixed(1) + ' ' + unit;
  }
  return n + ' B';
}

function duration(s) {
  if (s === null || s === undefined) return '–';
  const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), sec = Math.floor(s % 60);
  return (h ? h + 'h' : '') + (h || m ? m + 'm' : '') + sec + 's';
}

function ms(v) { return v === null || v === undefined ? '–' : v.toFixed(2) + ' ms'; }

function fill(dl, rows) {
  dl.replaceChildren();
  for (const [key, id, value, cls] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = key;
    const dd = document.createElement('dd');
    dd.id = id;
    dd.textContent = value === '' || value === null || value === undefined ? '–' : value;
    if (cls) dd.className = cls;
    dl.append(dt, dd);
  }
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.append(td);
  return td;
}

function act(path, body) {
  const headers = { 'X-MiniVPN-CSRF': token || '', 'Content-Type': 'application/x-www-form-urlencoded' };
  fetch(path, { method: 'POST', headers, body })
    .then((r) => r.text()).then((text) => { $('action-result').textContent = text; });
}

function renderClient(c) {
  if (!c) { fill($('client'), [['state', 'client-state', 'no client installed']]); return; }
  const t = c;
  fill($('client'), [
    ['state', 'client-state', c.state + (c.plain ? ' (plain)' : ''), 'state-' + c.state],
    ['server', 'client-server', c.server],
    ['tunnel', 'client-tunnel', c.tunnel.join(' ')],
    ['transport', 'client-transport', c.transport],
    ['cipher', 'client-cipher', c.cipher],
    ['crypto', 'client-crypto', c.crypto ? c.crypto + ' backend' : ''],
    ['RTT', 'client-rtt', ms(c.rtt_ms)],
    ['uptime', 'client-uptime', duration(c.uptime_s)],
    ['traffic', 'client-traffic', 'in ' + bytes(t.bytes_in) + ', out ' + bytes(t.bytes_out) + ', dropped ' + t.dropped],
    ['reconnects', 'client-reconnects', String(c.reconnects)],
  ]);
  $('disconnect').hidden = c.state === 'DISCONNECTED';
}

function renderServer(s) {
  serving = !!(s && s.running);
  $('server-card').hidden = !s;
  if (!s) return;
  const c = s.counters || {};
  const dropped = Object.keys(c).filter((k) => k.startsWith('dropped.') && c[k] > 0)
    .map((k) => k.substring(8).replace(/_/g, ' ') + ' ' + c[k]);
  fill($('server'), [
    ['state', 'server-state', s.running ? 'serving' : 'not serving', s.running ? 'state-serving' : ''],
    ['endpoint', 'server-endpoint', s.endpoint],
    ['transport', 'server-transport', s.transport],
    ['uptime', 'server-uptime', duration(s.uptime_s)],
    ['sessions', 'server-sessions', String(s.sessions)],
    ['pool', 'server-pool', s.running ? s.pool_in_use + ' of ' + s.pool_size + ' addresses in use' : ''],
    ['handshakes', 'server-handshakes', 'handshakes.ok' in c ? 'ok ' + c['handshakes.ok'] + ', failed ' + c['handshakes.failed'] : ''],
    ['dropped', 'server-dropped', ['unrouted ' + s.unrouted_dropped].concat(dropped).join(', ')],
  ]);
}

function renderSessions(sessions) {
  const body = $('sessions').tBodies[0];
  body.replaceChildren();
  for (const s of sessions) {
    const tr = document.createElement('tr');
    cell(tr, s.identity, 'identity');
    cell(tr, s.tunnel.join(' ') || '–', 'tunnel');
    cell(tr, s.endpoint);
    cell(tr, s.mode);
    cell(tr, bytes(s.bytes_in), 'num');
    cell(tr, bytes(s.bytes_out), 'num');
    cell(tr, ms(s.rtt_ms), 'num');
    cell(tr, s.last_seen_s + ' s ago', 'num');
    const kick = document.createElement('button');
    kick.type = 'button';
    kick.textContent = 'Kick';
    kick.addEventListener('click', () => {
      if (confirm('End the session of ' + s.identity + '?')) act('api/kick', 'who=' + encodeURIComponent(s.identity));
    });
    cell(tr, '').append(kick);
    body.append(tr);
  }
  $('sessions-card').hidden = !serving && sessions.length === 0;
}

function renderTable(id, rows) {
  const body = $(id).tBodies[0];
  body.replaceChildren();
  for (const row of rows) {
    const tr = document.createElement('tr');
    for (const [text, cls] of row) cell(tr, text, cls);
    body.append(tr);
  }
}

function drawChart() {
  const canvas = $('chart');
  const g = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height, left = 70, bottom = 20, topPad = 10;
  const now = points.length ? points[points.length - 1][0] : Date.now();
  const shown = points.filter((p) => p[0] > now - WINDOW_MS);
  const inAt = serving ? 1 : 3, outAt = serving ? 2 : 4;
  const top = Math.max(1, ...shown.map((p) => Math.max(p[inAt], p[outAt])));
  g.clearRect(0, 0, w, h);
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#6b7385';
  g.strokeStyle = '#d9dde6';
  for (let i = 0; i <= 4; i++) {
    const y = topPad + (h - bottom - topPad) * (1 - i / 4) + 0.5;
    g.beginPath(); g.moveTo(left, y); g.lineTo(w, y); g.stroke();
    g.fillText(bits(top * i / 4), 2, y + 4);
  }
  g.fillText('-5 min', left, h - 4);
  g.fillText('now', w - 24, h - 4);
  const x = (t) => left + (w - left) * (1 - (now - t) / WINDOW_MS);
  const y = (v) => topPad + (h - bottom - topPad) * (1 - v / top);
  for (const [at, color] of [[inAt, '#1f77b4'], [outAt, '#e4572e']]) {
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    shown.forEach((p, i) => (i ? g.lineTo(x(p[0]), y(p[at])) : g.moveTo(x(p[0]), y(p[at]))));
    g.stroke();
  }
  canvas.dataset.points = String(shown.length);
  const last = shown[shown.length - 1];
  $('rate-in').textContent = last ? bits(last[inAt]) : '–';
  $('rate-out').textContent = last ? bits(last[outAt]) : '–';
  $('chart-title').textContent = (serving ? 'Server' : 'Client') + ' throughput';
}

function render(state) {
  renderClient(state.client);
  renderServer(state.server);
  renderSessions(state.sessions);
  renderTable('roles', state.roles.map((r) => [[r.role], [r.name || '–'], [r.bundle],
    [String(r.ranking), 'num'], [r.used_by.join(' ') || '–', r.used_by.length ? 'used' : '']]));
  renderTable('bundles', state.bundles.map((b) => [[String(b.id), 'num'], [b.name], [b.version], [b.state]]));
  if (state.rate && (!points.length || state.rate[0] > points[points.length - 1][0])) {
    points.push(state.rate);
  }
  points = points.filter((p) => p[0] > state.now - WINDOW_MS);
  drawChart();
  $('updated').textContent = 'updated ' + new Date(state.now).toLocaleTimeString();
}

const events = new EventSource('api/events');
events.addEventListener('history', (e) => { points = JSON.parse(e.data); drawChart(); });
events.addEventListener('state', (e) => render(JSON.parse(e.data)));
events.onerror = () => { $('updated').textContent = 'lost the appliance: trying again…'; };
$('disconnect').addEventListener('click', () => {
  if (confirm('End the tunnel and restore the routes?')) act('api/disconnect', '');
});
