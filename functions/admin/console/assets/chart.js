// A line chart in SVG, drawn by hand: time on x (the last `span` ms up to
// now), one series on y from 0 to its maximum.

const NS = 'http://www.w3.org/2000/svg';
const W = 600;
const H = 160;
const PAD = { left: 44, right: 8, top: 10, bottom: 22 };

function s(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// lineChart draws points [{t: ms, v: number}] as an SVG figure titled
// title; unit labels the values.
export function lineChart(title, points, unit, span, now) {
  const max = Math.max(1, ...points.map((p) => p.v));
  const x = (t) => PAD.left + ((t - (now - span)) / span) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const last = points.length ? points[points.length - 1].v : null;
  const label = last === null
    ? `${title}: no sample yet`
    : `${title}: ${fmt(last)} ${unit} now, at most ${fmt(max)} over the last ${minutes(span)}`;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, class: 'chart' });
  svg.append(s('title', {}, label));
  for (const v of [0, max / 2, max]) {
    svg.append(s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(s('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, fmt(v)));
  }
  svg.append(s('text', { x: PAD.left, y: H - 6, class: 'axis' }, `−${minutes(span)}`));
  svg.append(s('text', { x: W - PAD.right, y: H - 6, 'text-anchor': 'end', class: 'axis' }, 'now'));
  const shown = points.filter((p) => p.t >= now - span);
  if (shown.length > 1) {
    svg.append(s('polyline', { points: shown.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' '), class: 'line' }));
  }
  for (const p of shown.slice(-1)) svg.append(s('circle', { cx: x(p.t), cy: y(p.v), r: 3, class: 'dot' }));
  const fig = document.createElement('figure');
  fig.className = 'chart-box';
  const cap = document.createElement('figcaption');
  cap.textContent = last === null ? `${title}` : `${title}: ${fmt(last)} ${unit}`;
  fig.append(cap, svg);
  return fig;
}

function minutes(ms) {
  const m = Math.round(ms / 60000);
  return m === 1 ? '1 minute' : `${m} minutes`;
}

function fmt(v) {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v.toFixed(v < 10 ? 1 : 0);
}
