// consent-auditor collector: runs once per frame and returns plain facts as JSON. It never judges.
// Shipped as package data; collect.py wraps it as `(opts) => { <this file>; return collect(opts); }`.
// Pages patch globals, so every element is handled in its own try block and natives are looked up once.

const INLINE_TAGS = new Set(['a', 'abbr', 'b', 'bdi', 'bdo', 'big', 'br', 'button', 'cite', 'code', 'data', 'del', 'dfn',
  'em', 'font', 'i', 'ins', 'kbd', 'mark', 'q', 's', 'samp', 'small', 'span', 'strike', 'strong', 'sub', 'sup',
  'time', 'tt', 'u', 'var', 'wbr']);
const SKIP_TAGS = new Set(['script', 'style', 'noscript', 'template', 'head', 'meta', 'link', 'title', 'svg',
  'math', 'canvas', 'video', 'audio', 'object', 'embed', 'br', 'img', 'picture', 'source', 'track']);
const ANNOTATION_RE = /\sdata-expect-(?:fail|pass)\s*=\s*("[^"]*"|'[^']*'|[^\s>]*)/gi;
const WS_RE = /\s+/g;
const LAYER_Z = 1000;  // an absolutely positioned element at or above this z-index counts as an overlay

function norm(s) { return String(s == null ? '' : s).replace(WS_RE, ' ').trim(); }
function cap(s, n) { return s.length > n ? s.slice(0, n) : s; }

// An element's shadow root, open or closed. This runs in the auditor's isolated world (auditor/browser/worlds.py),
// where the page's globals and prototypes are not; the frame's closed shadow roots come in as ``roots`` (read
// through the DevTools protocol's DOM view; the page keeps them closed to its own scripts).
const CLOSED_ROOTS = (() => {
  const m = new WeakMap();
  for (const r of (typeof roots !== 'undefined' && roots) || []) { try { if (r && r.host) m.set(r.host, r); } catch (e) { /* gone */ } }
  return m;
})();
function shadowOf(el) {
  if (el.shadowRoot) return el.shadowRoot;
  return CLOSED_ROOTS.get(el) || null;
}

function composedParent(el) {
  if (el.parentElement) return el.parentElement;
  const root = el.parentNode;
  return root && root.host ? root.host : null;
}

// ---------------------------------------------------------------- selectors

function cssEscape(s) {
  try { return CSS.escape(s); } catch (e) { return String(s).replace(/[^a-zA-Z0-9_-]/g, '\\$&'); }
}

// per-run caches: selectors are built for hundreds of elements, and counting siblings or ids afresh for each
// would make a flat page of 10,000 elements quadratic
const ID_COUNTS = new Map();  // root -> Map(id -> count)
const NTH = new Map();  // parent -> { nth: Map(el -> n), many: Set(tag) }

function idIsUnique(root, id) {
  let counts = ID_COUNTS.get(root);
  if (!counts) {
    counts = new Map();
    try { root.querySelectorAll('[id]').forEach((e) => counts.set(e.id, (counts.get(e.id) || 0) + 1)); } catch (e) { /* none */ }
    ID_COUNTS.set(root, counts);
  }
  return counts.get(id) === 1;
}

function nthOfType(parent, el) {
  let info = NTH.get(parent);
  if (!info) {
    const seen = new Map();
    info = { nth: new Map(), many: new Set() };
    for (let s = parent.firstElementChild; s; s = s.nextElementSibling) {
      const n = (seen.get(s.localName) || 0) + 1;
      seen.set(s.localName, n);
      info.nth.set(s, n);
      if (n > 1) info.many.add(s.localName);
    }
    NTH.set(parent, info);
  }
  return [info.nth.get(el) || 1, info.many.has(el.localName)];
}

function localPath(el) {
  const root = el.getRootNode();
  const parts = [];
  let cur = el;
  while (cur && cur.nodeType === 1) {
    const tag = cur.localName;
    if (cur.id && idIsUnique(root, cur.id)) { parts.unshift('#' + cssEscape(cur.id)); break; }
    const parent = cur.parentElement;
    if (!parent) {
      if (tag === 'html' || tag === 'body') { parts.unshift(tag); break; }
      // top level of a shadow root: position among the root's children
      let n = 1;
      for (let s = cur.previousElementSibling; s; s = s.previousElementSibling) if (s.localName === tag) n++;
      parts.unshift(n > 1 ? `${tag}:nth-of-type(${n})` : tag);
      break;
    }
    const [n, many] = nthOfType(parent, cur);
    parts.unshift(many ? `${tag}:nth-of-type(${n})` : tag);
    if (tag === 'body') break;
    cur = parent;
  }
  return parts.join(' > ');
}

function selectorOf(el) {
  const root = el.getRootNode();
  const own = localPath(el);
  if (root && root.host) return selectorOf(root.host) + ' >> ' + own;
  return own;
}

// ---------------------------------------------------------------- geometry and style

function docRect(r) {
  return { x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height };
}

function boxOf(el) {
  const r = el.getBoundingClientRect();
  if (!r || (r.width === 0 && r.height === 0 && el.getClientRects().length === 0)) return null;
  return docRect(r);
}

// A computed colour as sRGB [r, g, b, a]. Computed styles spell legacy colours rgb()/rgba(); CSS Color 4/5
// values (oklch(), lab(), color-mix(), relative colours, color(display-p3 ...)) are handed to the browser
// itself: painted on a 1x1 canvas and read back as sRGB, so no colour space is parsed here.
const COLOURS = new Map();
let PAINT = null;
function resolvedByCanvas(s) {
  if (PAINT === null) {
    try {
      const c = document.createElement('canvas');
      c.width = 1; c.height = 1;
      PAINT = c.getContext('2d', { willReadFrequently: true }) || false;
    } catch (e) { PAINT = false; }
  }
  if (!PAINT) return null;
  try {
    PAINT.globalCompositeOperation = 'copy';
    PAINT.fillStyle = '#010203';
    PAINT.fillStyle = s;
    if (PAINT.fillStyle === '#010203' && !/^#010203$/i.test(s)) return null;  // not a colour the canvas takes
    PAINT.fillRect(0, 0, 1, 1);
    const d = PAINT.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  } catch (e) { return null; }
}

function parseColor(s) {
  if (!s) return [0, 0, 0, 0];
  if (s === 'transparent') return [0, 0, 0, 0];
  const m = /^rgba?\(([^()]+)\)$/.exec(s);
  if (m) {
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(parseFloat);
    return [p[0] || 0, p[1] || 0, p[2] || 0, p.length > 3 ? p[3] : 1];
  }
  let c = COLOURS.get(s);
  if (c) return c;
  c = resolvedByCanvas(s);
  if (!c) {
    const srgb = /color\(srgb ([^)]+)\)/.exec(s);
    if (srgb) {
      const p = srgb[1].split(/[ /]+/).filter(Boolean).map(parseFloat);
      c = [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1];
    } else c = [0, 0, 0, 1];
  }
  COLOURS.set(s, c);
  return c;
}

function blend(top, bottom) {
  const a = top[3] + bottom[3] * (1 - top[3]);
  if (a <= 0) return [0, 0, 0, 0];
  const ch = (i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a;
  return [ch(0), ch(1), ch(2), a];
}

// A CSS gradient as one colour: the mean of its colour stops (computed styles spell them rgb()/rgba()); text
// is judged against the gradient's average rather than whatever lies under the element.
function gradientColour(bgImage) {
  const stops = bgImage.match(/(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\((?:[^()]|\([^()]*\))*\)/g);
  if (!stops || !stops.length) return null;
  const cs = stops.map(parseColor);
  const a = cs.reduce((t, c) => t + c[3], 0) / cs.length;
  if (a <= 0) return null;
  const ch = (i) => cs.reduce((t, c) => t + c[i] * c[3], 0) / (a * cs.length);
  return [ch(0), ch(1), ch(2), a];
}

// The colour actually behind an element: its own and its ancestors' backgrounds composited, white canvas last.
const BG = new Map();  // element -> { color, uncertain }: the backgrounds behind it, blended (per run)

function effectiveBackground(el) {
  // the first opaque background up the (composed) ancestors, with translucent layers blended over it;
  // uncertain when an image or gradient is among the layers
  if (!el) return { color: [255, 255, 255, 1], uncertain: false };
  let r = BG.get(el);
  if (r) return r;
  let st = null;
  try { st = getComputedStyle(el); } catch (e) { st = null; }
  if (!st) r = { color: [255, 255, 255, 1], uncertain: false };
  else {
    const bgImage = st.backgroundImage || 'none';
    const image = bgImage !== 'none' && /url\(/.test(bgImage);  // a picture: its colours are unknown
    const gradient = bgImage !== 'none' && !image ? gradientColour(bgImage) : null;
    let c = parseColor(st.backgroundColor);
    if (gradient) c = c[3] > 0 ? blend(gradient, c) : gradient;
    if (c[3] >= 1) r = { color: c, uncertain: image };
    else {
      const under = effectiveBackground(composedParent(el));
      r = { color: c[3] > 0 ? blend(c, under.color) : under.color, uncertain: image || under.uncertain };
    }
  }
  BG.set(el, r);
  return r;
}

const OPACITY = new Map();  // element -> product of opacities through its ancestors (per run)

function effectiveOpacity(el) {
  if (!el) return 1;
  let o = OPACITY.get(el);
  if (o !== undefined) return o;
  let own = 1;
  try { own = parseFloat(getComputedStyle(el).opacity); } catch (e) { own = 1; }
  if (Number.isNaN(own)) own = 1;
  o = own <= 0 ? 0 : own * effectiveOpacity(composedParent(el));
  OPACITY.set(el, o);
  return o;
}

function intersect(a, b) {
  const x = Math.max(a.x, b.x), y = Math.max(a.y, b.y);
  const r = Math.min(a.x + a.width, b.x + b.width), btm = Math.min(a.y + a.height, b.y + b.height);
  return { x, y, width: Math.max(0, r - x), height: Math.max(0, btm - y) };
}

function textRectOf(el) {
  try {
    const range = document.createRange();
    range.selectNodeContents(el);
    const r = range.getBoundingClientRect();
    if (r && r.width * r.height > 0) return docRect(r);
  } catch (e) { /* fall through */ }
  return boxOf(el);
}

// Share of the text's box that overflow-clipping ancestors (and the document edges) leave visible.
const CLIP = new Map();  // element -> the rectangle its overflow ancestors (and itself) leave visible (per run)
const NO_CLIP = { x: -1e7, y: -1e7, width: 2e7, height: 2e7 };

function clipRectOf(el) {
  if (!el) return NO_CLIP;
  let r = CLIP.get(el);
  if (r) return r;
  r = clipRectOf(composedParent(el));
  if (el.localName !== 'html' && el.localName !== 'body') {
    let st = null;
    try { st = getComputedStyle(el); } catch (e) { st = null; }
    const clips = (v) => v === 'hidden' || v === 'clip';
    const shape = st && st.clipPath && st.clipPath !== 'none';
    const oldClip = st && st.clip && st.clip !== 'auto' && /^(absolute|fixed)$/.test(st.position);
    if (st && (clips(st.overflowX) || clips(st.overflowY) || oldClip || shape)) {
      const b = boxOf(el);
      let own = { x: -1e7, y: -1e7, width: 2e7, height: 2e7 };
      if (!b) own = { x: 0, y: 0, width: 0, height: 0 };
      else {
        if (clips(st.overflowX)) { own.x = b.x; own.width = b.width; }
        if (clips(st.overflowY)) { own.y = b.y; own.height = b.height; }
        if (oldClip) own = intersect(own, clipRectValue(st.clip, b));
        if (shape) { const cp = clipPathRect(st.clipPath, b); if (cp) own = intersect(own, cp); }
      }
      r = intersect(r, own);
    }
  }
  CLIP.set(el, r);
  return r;
}

// A length of a basic shape ("12px", "50%", "closest-side") against a reference size.
function shapeLength(v, ref, fallback) {
  if (v == null || v === '') return fallback;
  if (/%$/.test(v)) return parseFloat(v) / 100 * ref;
  if (/px$/.test(v) || /^-?[\d.]+$/.test(v)) return parseFloat(v);
  if (v === 'center') return ref / 2;
  if (v === 'left' || v === 'top') return 0;
  if (v === 'right' || v === 'bottom') return ref;
  return fallback;  // calc(), keywords we do not resolve: assume no clipping
}

// The rectangle a clip-path basic shape leaves of a box (its bounding box; a shape of no area leaves none).
// Shapes we cannot read (url(), path(), calc()) are taken as not clipping: we never invent a hidden text.
function clipPathRect(cp, b) {
  const m = /^(inset|circle|ellipse|polygon|rect|xywh)\((.*)\)/.exec(cp.trim());
  if (!m) return null;
  const fn = m[1], args = m[2].split(/\s+round\s+/)[0].trim();
  const nums = (str) => str.split(/[\s,]+/).filter(Boolean);
  if (/calc|var|env/.test(args)) return null;
  if (fn === 'inset') {
    const v = nums(args);
    const t = shapeLength(v[0], b.height, 0), r = shapeLength(v[1] ?? v[0], b.width, 0);
    const btm = shapeLength(v[2] ?? v[0], b.height, 0), l = shapeLength(v[3] ?? v[1] ?? v[0], b.width, 0);
    return { x: b.x + l, y: b.y + t, width: Math.max(0, b.width - l - r), height: Math.max(0, b.height - t - btm) };
  }
  if (fn === 'circle' || fn === 'ellipse') {
    const [radii, at] = args.split(/\s*\bat\b\s*/);
    const rs = nums(radii || '');
    const pos = nums(at || '50% 50%');
    const cx = b.x + shapeLength(pos[0], b.width, b.width / 2), cy = b.y + shapeLength(pos[1] ?? '50%', b.height, b.height / 2);
    const side = Math.min(b.width, b.height) / 2;
    const rx = shapeLength(rs[0], fn === 'circle' ? Math.hypot(b.width, b.height) / Math.SQRT2 : b.width, side);
    const ry = fn === 'circle' ? rx : shapeLength(rs[1], b.height, side);
    return { x: cx - rx, y: cy - ry, width: Math.max(0, 2 * rx), height: Math.max(0, 2 * ry) };
  }
  if (fn === 'polygon') {
    const pts = args.replace(/^(nonzero|evenodd)\s*,/, '').split(',').map((p) => nums(p.trim()));
    const xy = pts.map((p) => [b.x + shapeLength(p[0], b.width, 0), b.y + shapeLength(p[1], b.height, 0)]);
    if (xy.length < 3) return { x: b.x, y: b.y, width: 0, height: 0 };
    let area = 0;
    for (let i = 0; i < xy.length; i++) { const [x1, y1] = xy[i], [x2, y2] = xy[(i + 1) % xy.length]; area += x1 * y2 - x2 * y1; }
    const xs = xy.map((p) => p[0]), ys = xy.map((p) => p[1]);
    if (Math.abs(area) / 2 < 1) return { x: b.x, y: b.y, width: 0, height: 0 };
    return { x: Math.min(...xs), y: Math.min(...ys), width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) };
  }
  if (fn === 'xywh') {
    const v = nums(args);
    const x = shapeLength(v[0], b.width, 0), y = shapeLength(v[1], b.height, 0);
    return { x: b.x + x, y: b.y + y, width: Math.max(0, shapeLength(v[2], b.width, b.width)), height: Math.max(0, shapeLength(v[3], b.height, b.height)) };
  }
  if (fn === 'rect') {
    const v = nums(args);
    const t = shapeLength(v[0], b.height, 0), r = v[1] === 'auto' ? b.width : shapeLength(v[1], b.width, b.width);
    const btm = v[2] === 'auto' ? b.height : shapeLength(v[2], b.height, b.height), l = v[3] === 'auto' ? 0 : shapeLength(v[3], b.width, 0);
    return { x: b.x + l, y: b.y + t, width: Math.max(0, r - l), height: Math.max(0, btm - t) };
  }
  return null;
}

// The legacy clip: rect(top, right, bottom, left) of an absolutely positioned element, against its border box.
function clipRectValue(v, b) {
  const m = /rect\(([^)]*)\)/.exec(v);
  if (!m) return { x: -1e7, y: -1e7, width: 2e7, height: 2e7 };
  const p = m[1].split(/[\s,]+/).filter(Boolean);
  const val = (k, auto) => (p[k] === 'auto' || p[k] == null ? auto : parseFloat(p[k]) || 0);
  const t = val(0, 0), r = val(1, b.width), btm = val(2, b.height), l = val(3, 0);
  return { x: b.x + l, y: b.y + t, width: Math.max(0, r - l), height: Math.max(0, btm - t) };
}

let PAGE_RECT = null;

function clipFacts(el, textRect) {
  if (!textRect || textRect.width * textRect.height === 0) return { fraction: 0, offscreen: false };
  const vis = intersect(textRect, clipRectOf(el));
  if (!PAGE_RECT) {
    const de = document.documentElement;
    PAGE_RECT = { x: 0, y: 0, width: Math.max(de.scrollWidth, window.innerWidth), height: Math.max(de.scrollHeight, window.innerHeight) };
  }
  const onPage = intersect(vis, PAGE_RECT);
  const fraction = (onPage.width * onPage.height) / (textRect.width * textRect.height);
  const all = intersect(textRect, PAGE_RECT);
  return { fraction: Math.max(0, Math.min(1, fraction)), offscreen: all.width * all.height === 0 };
}

function isRendered(el, st) {
  st = st || getComputedStyle(el);
  return el.getClientRects().length > 0 && st.visibility === 'visible';
}

// Laid out but not painted: inside a content-visibility:hidden ancestor (the box keeps its place, its content
// is never drawn).
function contentSkipped(el) {
  try {
    for (let cur = composedParent(el); cur; cur = composedParent(cur)) {
      if (getComputedStyle(cur).contentVisibility === 'hidden') return cur;
    }
  } catch (e) { /* older engines */ }
  return null;
}

// ---------------------------------------------------------------- text

function inlineText(el, limit) {
  // the text of el's own inline content, stopping at block-level children
  let out = '';
  const walk = (node) => {
    for (let c = node.firstChild; c && out.length < limit; c = c.nextSibling) {
      if (c.nodeType === 3) out += c.data;
      else if (c.nodeType === 1) {
        const t = c.localName;
        if (SKIP_TAGS.has(t)) { if (t === 'br') out += ' '; continue; }
        if (INLINE_TAGS.has(t)) walk(c); else out += ' ';
      }
    }
  };
  walk(el);
  return norm(out);
}

function visibleText(el, limit) {
  let t = '';
  try { t = el.innerText; } catch (e) { t = ''; }
  if (!t) t = el.textContent || '';
  return cap(norm(t), limit);
}

function ownDirectText(el) {
  let t = '';
  for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 3) t += c.data;
  return t.trim();
}

function snippet(el, limit) {
  let h = '';
  try { h = el.outerHTML || ''; } catch (e) { h = ''; }
  h = h.slice(0, limit * 4).replace(ANNOTATION_RE, '');
  return cap(h, limit);
}

// ---------------------------------------------------------------- labels

function elementsOfIds(root, ids) {
  return ids.split(/\s+/).filter(Boolean).map((id) => {
    try { return root.getElementById ? root.getElementById(id) : root.querySelector('#' + cssEscape(id)); } catch (e) { return null; }
  }).filter(Boolean);
}

function textOfIds(root, ids) {
  return norm(elementsOfIds(root, ids).map((n) => spacedText(n)).join(' '));
}

function spacedText(el) {
  // an element's text with a space wherever layout breaks the line (block, flex, list items...), without
  // the text of scripts or select options: "Keep me signed in" + <small>"On this device"</small> as a block
  // reads as two phrases, not "signed inOn"
  let out = '';
  const walk = (node) => {
    for (let c = node.firstChild; c && out.length < 2000; c = c.nextSibling) {
      if (c.nodeType === 3) { out += c.data; continue; }
      if (c.nodeType !== 1) continue;
      const t = c.localName;
      if (SKIP_TAGS.has(t) || t === 'select' || t === 'option') { out += ' '; continue; }
      let display = 'inline';
      try { display = getComputedStyle(c).display; } catch (e) { /* keep inline */ }
      if (display === 'none') { out += ' '; continue; }
      const block = !display.startsWith('inline') && display !== 'contents';
      if (block) out += ' ';
      walk(c);
      if (block) out += ' ';
    }
  };
  walk(el);
  return norm(out);
}

function shown(el) {
  try {
    const b = boxOf(el);
    return !!b && b.width > 2 && b.height > 2 && isRendered(el) && effectiveOpacity(el) > 0.05;
  } catch (e) { return false; }
}

const LABELS_FOR = new Map();  // root -> Map(id -> [label])

function labelsOf(el) {
  const out = [];
  const wrap = el.closest && el.closest('label');
  if (wrap) out.push(wrap);
  if (el.id) {
    const root = el.getRootNode();
    let m = LABELS_FOR.get(root);
    if (!m) {
      m = new Map();
      try {
        root.querySelectorAll('label[for]').forEach((l) => {
          const k = l.getAttribute('for');
          if (!m.has(k)) m.set(k, []);
          m.get(k).push(l);
        });
      } catch (e) { /* none */ }
      LABELS_FOR.set(root, m);
    }
    for (const l of m.get(el.id) || []) if (l !== wrap) out.push(l);
  }
  return out;
}

function labelFor(el, near) {
  const root = el.getRootNode();
  const lb = el.getAttribute('aria-labelledby');
  if (lb) {
    const els = elementsOfIds(root, lb);
    const t = norm(els.map((n) => spacedText(n)).join(' '));
    if (t) return { text: t, el: els[0] };
  }
  const al = el.getAttribute('aria-label');
  if (al && norm(al)) return { text: norm(al), el: null };
  for (const l of labelsOf(el)) {
    const t = cap(spacedText(l), 400);
    if (t) return { text: t, el: l };
  }
  const role = el.getAttribute('role');
  if (role && el.localName !== 'input') {
    const own = visibleText(el, 400);
    if (own && own.length > 1) return { text: own, el: el };
  }
  if (near.text) return near;
  const title = el.getAttribute('title');
  return { text: title ? norm(title) : '', el: null };
}

function contextFor(el) {
  // adjacent text: the smallest ancestor (up to three levels) with a short text that holds no other control
  let cur = composedParent(el);
  for (let depth = 0; cur && depth < 3; depth++, cur = composedParent(cur)) {
    const t = visibleText(cur, 600);
    if (t && t.length <= 400) {
      const controls = cur.querySelectorAll('input[type=checkbox],input[type=radio],[role=switch],[role=checkbox],select');
      let drawn = 0;
      for (const v of VISUAL_SWITCHES) if (v !== el && cur.contains(v)) drawn++;
      if (controls.length + drawn <= 1) return { text: t, el: cur };
      break;
    }
    if (t && t.length > 400) break;
  }
  return { text: '', el: null };
}


function groupLabel(el) {
  const fs = el.closest && el.closest('fieldset');
  if (fs) { const lg = fs.querySelector('legend'); if (lg) return cap(norm(lg.textContent), 300); }
  const rg = el.closest && el.closest('[role=radiogroup],[role=group]');
  if (rg) {
    const l = rg.getAttribute('aria-label') || (rg.getAttribute('aria-labelledby') ? textOfIds(rg.getRootNode(), rg.getAttribute('aria-labelledby')) : '');
    if (l) return cap(norm(l), 300);
  }
  return '';
}

function clickablesIn(el, ref) {
  const vw = window.innerWidth, vh = window.innerHeight;
  const clickEls = [];
  const seen = new Set();
  const consider = (c) => {
    if (seen.has(c)) return;
    for (let p = composedParent(c); p && p !== el; p = composedParent(p)) if (seen.has(p)) return;
    seen.add(c); clickEls.push(c);
  };
  const walk = (root) => {
    root.querySelectorAll('button, a[href], a[role], input[type=button], input[type=submit], input[type=reset], [role=button], [role=link], [role=menuitem], [role=tab], [onclick]').forEach(consider);
    // focusable elements that look clickable, if they are short and hold no real button (not a dialog container)
    root.querySelectorAll('[tabindex]').forEach((c) => {
      try {
        if (c.querySelector('button, a[href], input, [role=button], [role=link]')) return;
        if (getComputedStyle(c).cursor !== 'pointer') return;
        const t = visibleText(c, 80);
        if (t && t.length <= 60) consider(c);
      } catch (e) { /* ignore */ }
    });
    root.querySelectorAll('*').forEach((n) => { const sr = shadowOf(n); if (sr) walk(sr); });
  };
  walk(el);
  if (shadowOf(el)) walk(shadowOf(el));
  // clickable-looking elements scripts listen on (cursor:pointer with short text)
  el.querySelectorAll('div, span, li, p').forEach((c) => {
    if (clickEls.length > 40) return;
    try {
      if (getComputedStyle(c).cursor !== 'pointer') return;
      const p = composedParent(c);
      if (p && p !== el && getComputedStyle(p).cursor === 'pointer') return;
      const t = visibleText(c, 80);
      if (t && t.length <= 60) consider(c);
    } catch (e) { /* ignore */ }
  });
  return clickEls.slice(0, 40).map((c) => {
    const cs = getComputedStyle(c);
    const b = boxOf(c);
    const cvis = !!b && b.width > 1 && b.height > 1 && isRendered(c, cs) && effectiveOpacity(c) > 0.05;
    let hit = true;
    if (cvis) {
      const r = c.getBoundingClientRect();
      const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
      if (cx >= 0 && cy >= 0 && cx < vw && cy < vh) {
        let h = document.elementFromPoint(cx, cy);
        while (h && shadowOf(h)) { const inner = shadowOf(h).elementFromPoint(cx, cy); if (!inner || inner === h) break; h = inner; }
        hit = !!h && (h === c || c.contains(h) || !!(h.getRootNode().host && c.contains(h.getRootNode().host)));
      }
    }
    const name = norm(c.getAttribute('aria-label') || '') || visibleText(c, 200) || norm(c.value || '') || norm(c.getAttribute('title') || '');
    const bw = Math.max(...['Top', 'Right', 'Bottom', 'Left'].map((s) => (cs['border' + s + 'Style'] !== 'none' && parseColor(cs['border' + s + 'Color'])[3] > 0) ? parseFloat(cs['border' + s + 'Width']) || 0 : 0));
    return {
      ref: ref(c, name), text: name, tag: c.localName, role: c.getAttribute('role') || '',
      font_size: parseFloat(cs.fontSize) || 0, font_weight: parseInt(cs.fontWeight, 10) || 400,
      color: parseColor(cs.color), background: parseColor(cs.backgroundColor),
      effective_background: effectiveBackground(c).color, border_width: bw,
      backdrop: effectiveBackground(composedParent(c)).color,
      underline: (cs.textDecorationLine || cs.textDecoration || '').includes('underline'), visible: cvis, hit,
      // faded on purpose ("looks disabled"): its opacity relative to the banner it sits in
      opacity: Math.min(1, effectiveOpacity(c) / Math.max(effectiveOpacity(el), 0.01)),
    };
  });
}

// ---------------------------------------------------------------- text candidates

// A block whose words all belong to the buttons inside it (a button row) holds no text of its own.
function onlyButtonLabels(block, text) {
  const buttons = block.querySelectorAll('button, [role=button], input[type=submit], input[type=button]');
  if (!buttons.length) return false;
  let rest = text;
  for (const x of buttons) {
    const label = norm(x.innerText || x.value || '');
    if (label) rest = rest.replace(label, ' ');
  }
  return rest.replace(/[\s\p{P}\p{S}]/gu, '').length < 3;
}

// The lexicon's term index (Lexicon.js_matcher): does a text contain any term? Texts are normalised like the
// Python side (NFKD, marks removed, NFKC, lower case) and compared as runs of letters and digits.
// (combining marks belong to their word: Devanagari vowel signs; Arabic short vowels are removed like accents)
const WORD_RE = /[\p{L}\p{N}\p{M}]+/gu;
// scripts whose terms match as substrings (lexicon.SUBSTRING_SCRIPT): Chinese, Japanese, Korean, Thai
const CJK_RE = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u0e00-\u0e7f]/u;
const STRIP_RE = /[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u0640]/g;
function termMatcher(index) {
  const first = new Map(Object.entries(index.first || {}));
  const cjk = index.cjk || [];
  // terms whose first word is a prefix ("newsletter*") are looked up by their first two letters
  const byPrefix = new Map();
  const otherWild = [];
  for (const w of index.wild || []) {
    const head = w[0];
    if (!head.startsWith('*') && head.length >= 3) {
      const k = head.slice(0, 2);
      if (!byPrefix.has(k)) byPrefix.set(k, []);
      byPrefix.get(k).push(w);
    } else otherWild.push(w);
  }
  const wordIs = (pat, w) => {
    if (pat.endsWith('*') && pat.startsWith('*')) return w.includes(pat.slice(1, -1));
    if (pat.endsWith('*')) return w.startsWith(pat.slice(0, -1));
    if (pat.startsWith('*')) return w.endsWith(pat.slice(1));
    return w === pat;
  };
  const restAt = (words, i, rest) => {
    if (i + rest.length > words.length) return false;
    for (let k = 0; k < rest.length; k++) if (!wordIs(rest[k], words[i + k])) return false;
    return true;
  };
  return (raw) => {
    const text = raw.normalize('NFKD').replace(STRIP_RE, '').normalize('NFKC').toLowerCase().replace(/ı/g, 'i');
    if (CJK_RE.test(text)) for (const t of cjk) if (text.includes(t)) return true;
    const words = text.match(WORD_RE) || [];
    for (let i = 0; i < words.length; i++) {
      const rests = first.get(words[i]);
      if (rests) for (const r of rests) if (restAt(words, i + 1, r)) return true;
      const pre = byPrefix.get(words[i].slice(0, 2));
      if (pre) for (const w of pre) if (wordIs(w[0], words[i]) && restAt(words, i + 1, w.slice(1))) return true;
      for (const w of otherWild) if (wordIs(w[0], words[i]) && restAt(words, i + 1, w.slice(1))) return true;
    }
    return false;
  };
}

// ---------------------------------------------------------------- switches drawn only in CSS

const SWITCH_TAGS = new Set(['div', 'span', 'button', 'label', 'a', 'i', 'b', 'em', 'li']);
const VISUAL_SWITCHES = new Set();  // elements taken as drawn switches this run (contextFor counts them)

function px(v) { const n = parseFloat(v); return Number.isFinite(n) ? n : null; }

// The knob of a drawn switch: a child element or a ::before/::after that is roughly round or square and nearly
// as tall as the track. Returns its left edge and width in the track's coordinates.
function switchKnob(el, r) {
  for (let c = el.firstElementChild; c; c = c.nextElementSibling) {
    const k = c.getBoundingClientRect();
    if (k.width > 0 && k.height >= r.height * 0.45 && k.height <= r.height * 1.3 && k.width <= r.width * 0.7
        && Math.abs(k.width - k.height) <= Math.max(k.width, k.height) * 0.35) {
      return { left: k.left - r.left, width: k.width, colour: parseColor(getComputedStyle(c).backgroundColor) };
    }
  }
  for (const pe of ['::after', '::before']) {
    const ps = getComputedStyle(el, pe);
    if (!ps.content || ps.content === 'none' || ps.content === 'normal') continue;
    const w = px(ps.width), h = px(ps.height);
    if (!w || !h || h < r.height * 0.45 || w > r.width * 0.7 || Math.abs(w - h) > Math.max(w, h) * 0.35) continue;
    let left = px(ps.left);
    if (left === null || ps.left === 'auto') { const right = px(ps.right); left = right === null ? 0 : r.width - right - w; }
    if (ps.position !== 'absolute' && ps.position !== 'fixed') left = px(getComputedStyle(el).paddingLeft) || 0;
    const m = /matrix\(([^)]+)\)/.exec(ps.transform || '');
    if (m) left += parseFloat(m[1].split(',')[4]) || 0;
    return { left, width: w, colour: parseColor(ps.backgroundColor) };
  }
  return null;
}

// Facts about an element drawn as an on/off switch with no input, role or aria state: a pill-shaped track
// holding a knob. Whether it is on is judged in Python from these facts (knob position, track colour
// against the other switches of the same UI).
function drawnSwitch(el) {
  if (!SWITCH_TAGS.has(el.localName) && !el.localName.includes('-')) return null;
  if (el.childElementCount > 2 || el.hasAttribute('aria-checked') || el.hasAttribute('aria-pressed')) return null;
  const role = el.getAttribute('role');
  if (role === 'switch' || role === 'checkbox') return null;
  if ((el.textContent || '').trim().length > 3) return null;
  if (el.querySelector('input, img, svg')) return null;
  const r = el.getBoundingClientRect();
  if (r.width < 20 || r.width > 90 || r.height < 10 || r.height > 48) return null;
  const ratio = r.width / r.height;
  if (ratio < 1.3 || ratio > 3.6) return null;
  const st = getComputedStyle(el);
  const radius = st.borderTopLeftRadius.endsWith('%') ? parseFloat(st.borderTopLeftRadius) / 100 * r.height : px(st.borderTopLeftRadius) || 0;
  if (radius < r.height * 0.25) return null;
  const knob = switchKnob(el, r);
  if (!knob) return null;
  const travel = r.width - knob.width;
  const offset = travel > 2 ? Math.max(0, Math.min(1, knob.left / travel)) : 0.5;
  let track = parseColor(st.backgroundColor);
  if (track[3] === 0) track = effectiveBackground(el).color;
  return { offset, track, knob: knob.colour, rtl: st.direction === 'rtl', backdrop: effectiveBackground(composedParent(el)).color,
           opacity: effectiveOpacity(el) };
}

// ---------------------------------------------------------------- main

function collect(opts) {
  const t0 = performance.now();
  const phases = {};  // cumulative milliseconds at the end of each phase
  const isCandidate = opts.terms ? termMatcher(JSON.parse(opts.terms)) : () => true;
  const maxText = opts.maxText || 400;
  const htmlLimit = opts.htmlLimit || 500;
  const refCache = new Map();
  const ref = (el, text) => {
    if (!el) return null;
    let r = refCache.get(el);
    if (!r) {
      r = { selector: '', html: '', box: null, text: '' };
      try { r.selector = selectorOf(el); } catch (e) { r.selector = el.localName || ''; }
      try { r.html = snippet(el, htmlLimit); } catch (e) { /* keep empty */ }
      try { r.box = boxOf(el); } catch (e) { /* keep null */ }
      refCache.set(el, r);
    }
    const out = Object.assign({}, r);
    out.text = text != null ? cap(text, maxText) : (() => { try { return visibleText(el, maxText); } catch (e) { return ''; } })();
    return out;
  };

  const controls = [];
  const blockSet = new Set();
  const overlays = [];
  const overlayOf = new Map();
  const actionEls = [];
  const iframes = [];
  const forms = [];
  let count = 0, closedRoots = 0, skipped = 0;
  const maxNodes = opts.maxNodes || 250000;

  // depth-first walk over the document and every shadow root, remembering the enclosing overlay; an explicit
  // stack, not recursion, so a page nested 100,000 deep cannot overflow it; at most maxNodes elements (the
  // rest is counted as skipped and reported)
  const stack = [[document.documentElement, -1]];
  while (stack.length) {
    const [el, ovl] = stack.pop();
    if (!el || el.nodeType !== 1) continue;
    if (count >= maxNodes) {
      try { skipped = Math.max(1, document.getElementsByTagName('*').length - count); } catch (e) { skipped = 1; }
      break;
    }
    count++;
    const tag = el.localName;
    if (SKIP_TAGS.has(tag)) continue;
    let myOvl = ovl;
    try {
      const role = el.getAttribute('role');
      if (ovl < 0 && tag !== 'html' && tag !== 'body') {
        let kind = '';
        if (tag === 'dialog' && el.open) kind = 'dialog';
        else if (el.getAttribute('aria-modal') === 'true') kind = 'modal';
        else if (role === 'dialog' || role === 'alertdialog') kind = 'role-dialog';
        else {
          const st = getComputedStyle(el);
          const pos = st.position;
          if (pos === 'fixed' || pos === 'sticky') kind = pos;
          else if (pos === 'absolute' && (parseInt(st.zIndex, 10) || 0) >= LAYER_Z) {
            // a high layer placed over the page (some platforms position their banner absolutely)
            const r = el.getBoundingClientRect();
            if (r.width >= 200 && r.height >= 40) kind = 'layer';
          }
        }
        if (kind && el.firstElementChild) {
          // a zero-size wrapper whose visible content is itself fixed (vanilla-cookieconsent's #cc-main, many
          // CMP roots): leave the overlay to the descendants that show something
          const r = el.getBoundingClientRect();
          if (r.width < 8 || r.height < 8) kind = '';
        }
        if (kind) {
          myOvl = overlays.length;
          overlays.push({ el, kind });
        }
      }
      if (myOvl >= 0) overlayOf.set(el, myOvl);
      if (tag === 'input') {
        const type = (el.type || '').toLowerCase();
        if (type === 'checkbox' || type === 'radio') controls.push({ el, kind: type, ovl: myOvl });
        else if (type === 'submit' || type === 'image' || type === 'button') actionEls.push(el);
      } else if (tag === 'select') {
        controls.push({ el, kind: 'select', ovl: myOvl });
      } else if (tag === 'form') {
        forms.push(el);
      } else if (tag === 'iframe' || tag === 'frame') {
        iframes.push(el);
      } else if (role === 'switch' || role === 'checkbox' || role === 'menuitemcheckbox') {
        controls.push({ el, kind: role === 'switch' ? 'switch' : 'aria-checkbox', ovl: myOvl });
      } else if (tag === 'button') {
        if (el.hasAttribute('aria-pressed')) controls.push({ el, kind: 'toggle-button', ovl: myOvl });
        else actionEls.push(el);
      } else if (el.hasAttribute('aria-pressed')) {
        controls.push({ el, kind: 'toggle-button', ovl: myOvl });
      } else if (role === 'button' || (tag === 'a' && /\b(btn|button|cta)\b/i.test(el.className || ''))) {
        actionEls.push(el);
      }
      if (!el.firstElementChild || el.childElementCount <= 2) {
        let drawn = null;
        try { drawn = (tag !== 'input' && tag !== 'select') ? drawnSwitch(el) : null; } catch (e) { drawn = null; }
        if (drawn) {
          VISUAL_SWITCHES.add(el);
          controls.push({ el, kind: 'switch', ovl: myOvl, drawn });
        }
      }
      if (ownDirectText(el)) {
        let b = el;
        while (INLINE_TAGS.has(b.localName) && b.parentElement) b = b.parentElement;
        blockSet.add(b);
      }
      const sr = shadowOf(el);
      if (sr) {
        for (let c = sr.lastElementChild; c; c = c.previousElementSibling) stack.push([c, myOvl]);
      } else if (tag.includes('-') && el.attachShadow) {
        // a custom element with no root we know of may have a closed one attached before settle.js ran
        if (!el.firstElementChild && !el.textContent.trim()) closedRoots++;
      }
    } catch (e) { /* a hostile element: skip its facts, keep walking */ }
    for (let c = el.lastElementChild; c; c = c.previousElementSibling) stack.push([c, myOvl]);
  }

  phases.walk = performance.now() - t0;
  // ids that a collapsed toggle would reveal (accordions, "show more")
  const collapsedIds = new Set();
  const addControlled = (root) => {
    try {
      root.querySelectorAll('[aria-expanded="false"][aria-controls]').forEach((t) => {
        t.getAttribute('aria-controls').split(/\s+/).forEach((id) => id && collapsedIds.add(id));
      });
      root.querySelectorAll('[aria-expanded="false"][data-target],[aria-expanded="false"][data-bs-target],a[aria-expanded="false"][href^="#"]').forEach((t) => {
        const v = t.getAttribute('data-bs-target') || t.getAttribute('data-target') || t.getAttribute('href') || '';
        if (v.startsWith('#') && v.length > 1) collapsedIds.add(v.slice(1));
      });
    } catch (e) { /* ignore */ }
  };
  addControlled(document);

  // ------------------------------------------------------------ controls
  const outControls = [];
  for (const c of controls) {
    try {
      const el = c.el;
      const st = getComputedStyle(el);
      const box = boxOf(el);
      const visible = !!box && box.width > 2 && box.height > 2 && st.visibility === 'visible' && effectiveOpacity(el) > 0.05
        && clipFacts(el, box).fraction > 0.3;
      const near = contextFor(el);
      const lab = labelFor(el, near);
      // a styled toggle hides its input and shows a <label for> (or the labelling text) instead
      const faces = labelsOf(el);
      if (lab.el) faces.push(lab.el);
      const labelVisible = faces.some(shown);
      const described = el.getAttribute('aria-describedby') ? textOfIds(el.getRootNode(), el.getAttribute('aria-describedby')) : '';
      let context = near.text || '';
      if (described && !context.includes(described)) context = norm(context + ' ' + described);
      const form = el.form || (el.closest && el.closest('form'));
      const item = {
        kind: c.kind, overlay: c.ovl, visible, label_visible: labelVisible,
        label: cap(lab.text, maxText), context: cap(context, maxText), group: groupLabel(el),
        name: el.getAttribute('name') || '', value: cap(String(el.value != null && c.kind !== 'select' ? el.getAttribute('value') || '' : ''), 200),
        required: !!el.required || el.getAttribute('aria-required') === 'true',
        disabled: !!el.disabled || el.getAttribute('aria-disabled') === 'true',
        form: form ? selectorOf(form) : null, options: [],
      };
      if (c.kind === 'checkbox' || c.kind === 'radio') {
        item.checked = !!el.checked;
        item.state_source = el.defaultChecked ? 'markup' : 'script';
        if (touchedByPerson(el)) item.state_source = 'person';
      } else if (c.kind === 'select') {
        const opts = Array.prototype.slice.call(el.options || [], 0, 400);
        item.options = opts.map((o, i) => ({ text: cap(norm(o.text), 200), value: cap(o.value || '', 200), index: i, selected: !!o.selected, default_selected: !!o.defaultSelected }));
        const sel = opts[el.selectedIndex];
        item.checked = el.selectedIndex >= 0;
        item.state_source = sel && sel.defaultSelected ? 'markup' : 'script';
        if (touchedByPerson(el)) item.state_source = 'person';
      } else if (c.drawn) {
        item.checked = false;  // judged in Python from the drawn facts
        item.state_source = touchedByPerson(el) ? 'person' : 'visual';
        item.drawn = c.drawn;
      } else if (c.kind === 'toggle-button') {
        item.checked = el.getAttribute('aria-pressed') === 'true';
        item.state_source = touchedByPerson(el) ? 'person' : 'aria';
      } else {
        item.checked = el.getAttribute('aria-checked') === 'true';
        item.state_source = touchedByPerson(el) ? 'person' : 'aria';
      }
      item.ref = ref(el, c.kind === 'select' ? (el.options && el.options[el.selectedIndex] ? norm(el.options[el.selectedIndex].text) : '') : null);
      item.label_ref = lab.el ? ref(lab.el, lab.text) : null;
      outControls.push(item);
    } catch (e) { /* skip */ }
  }

  phases.controls = performance.now() - t0;
  // ------------------------------------------------------------ text blocks
  const actionInfo = actionEls.map((a) => {
    let b = null;
    try { b = isRendered(a) ? boxOf(a) : null; } catch (e) { b = null; }
    const f = a.form || (a.closest && a.closest('form'));
    return { el: a, box: b, form: f || null };
  }).filter((a) => a.box && a.box.width > 0);
  const outTexts = [];
  for (const b of blockSet) {
    try {
      const text = inlineText(b, 3000);
      if (!text || !isCandidate(text)) continue;
      if (onlyButtonLabels(b, text)) continue;  // "Accept all  Necessary only": labels, not agreement text
      // the element that holds most of the text carries the style
      let carrier = b, best = ownDirectText(b).length;
      const inner = b.getElementsByTagName('*');
      for (let k = 0; k < inner.length && k < 300; k++) {
        const d = inner[k];
        if (!INLINE_TAGS.has(d.localName)) continue;
        const l = ownDirectText(d).length;
        if (l > best) { best = l; carrier = d; }
      }
      const st = getComputedStyle(carrier);
      // inside a content-visibility:hidden box the text has no boxes of its own, but its box holds the place
      let rendered = isRendered(carrier, st) && isRendered(b);
      let contentHidden = false;
      try {
        // checkVisibility() is false inside a content-visibility:hidden ancestor (or with no box at all): only
        // then are the ancestors looked up
        if (b.checkVisibility && !b.checkVisibility()) {
          const skipper = contentSkipped(b);
          contentHidden = !!skipper && isRendered(skipper);
        }
      } catch (e) { contentHidden = false; }
      if (contentHidden) rendered = true;
      const tRect = textRectOf(b);
      const clip = rendered ? clipFacts(b, tRect) : { fraction: 0, offscreen: false };
      const bg = effectiveBackground(carrier);
      let collapsed = false;
      if (!rendered) {
        for (let cur = b; cur; cur = composedParent(cur)) if (cur.id && collapsedIds.has(cur.id)) { collapsed = true; break; }
      }
      const det = b.closest && b.closest('details');
      const inClosedDetails = !!det && !det.open && !(b.closest('summary'));
      const form = b.closest && b.closest('form');
      let actions = [];
      if (tRect && rendered) {
        // the five nearest actions, kept in order without sorting them all
        const near = [];
        for (const a of actionInfo) {
          const dx = Math.max(a.box.x - (tRect.x + tRect.width), tRect.x - (a.box.x + a.box.width), 0);
          const dy = Math.max(a.box.y - (tRect.y + tRect.height), tRect.y - (a.box.y + a.box.height), 0);
          const d = Math.hypot(dx, dy);
          if (near.length < 5 || d < near[near.length - 1].d) {
            let k = near.length;
            while (k > 0 && near[k - 1].d > d) k--;
            near.splice(k, 0, { a, d });
            if (near.length > 5) near.pop();
          }
        }
        actions = near.map((p) => ({
          ref: ref(p.a.el), distance: p.d, same_form: !!form && p.a.form === form,
          form: p.a.form ? selectorOf(p.a.form) : null,
        }));
      } else if (form) {
        actions = actionInfo.filter((a) => a.form === form).slice(0, 1).map((a) => ({ ref: ref(a.el), distance: null, same_form: true, form: selectorOf(form) }));
      }
      // words drawn by ::before/::after instead (font-size 0 on the text, other words on screen)
      let generated = '';
      if ((parseFloat(st.fontSize) || 0) < 1) try {  // only asked of text set at font-size 0
        for (const pe of ['::before', '::after']) {
          const ps = getComputedStyle(b, pe);
          const c = ps.content;
          if (c && c !== 'none' && c !== 'normal' && /^["']/.test(c) && (parseFloat(ps.fontSize) || 0) > 0) {
            generated += ' ' + c.slice(1, -1);
          }
        }
      } catch (e) { generated = ''; }
      outTexts.push({
        ref: ref(b, cap(text, maxText)), text: cap(text, 2000),
        font_size: parseFloat(st.fontSize) || 0, font_weight: parseInt(st.fontWeight, 10) || 400,
        generated: cap(norm(generated), 200), content_hidden: contentHidden,
        color: parseColor(st.color), background: bg.color, background_uncertain: bg.uncertain,
        opacity: effectiveOpacity(carrier), rendered, visible_fraction: clip.fraction, offscreen: clip.offscreen,
        in_closed_details: inClosedDetails, collapsed, actions,
        form: form ? selectorOf(form) : null, overlay: overlayOf.has(b) ? overlayOf.get(b) : -1,
      });
    } catch (e) { /* skip */ }
  }

  phases.texts = performance.now() - t0;
  // ------------------------------------------------------------ overlays and their buttons
  const outOverlays = overlays.map((o, i) => {
    try {
      const el = o.el;
      const st = getComputedStyle(el);
      const box = boxOf(el);
      const visible = !!box && box.width >= 8 && box.height >= 8 && isRendered(el, st) && effectiveOpacity(el) > 0.05;
      const clickables = clickablesIn(el, ref);
      let inputs = 0, fields = {};
      try {
        fields = fieldCounts(el);
        inputs = ['email', 'text', 'password', 'tel'].reduce((n, t) => n + (fields[t] || 0), 0);
      } catch (e) { inputs = 0; }
      return {
        ref: ref(el, visibleText(el, maxText)), text: visibleText(el, 3000), kind: o.kind,
        background: effectiveBackground(el).color, aria_hidden: el.getAttribute('aria-hidden') === 'true',
        z_index: parseInt(st.zIndex, 10) || 0, visible, clickables, inputs, fields, frame_element: el.localName === 'iframe',
      };
    } catch (e) {
      return null;
    }
  });

  phases.overlays = performance.now() - t0;
  // what each form asks for: a newsletter box (one email field) is not an account signup (a password)
  const outForms = forms.map((f) => {
    try {
      return { selector: selectorOf(f), fields: fieldCounts(f) };
    } catch (e) { return null; }
  }).filter(Boolean);

  const outFrames = iframes.map((f) => {
    try { return { selector: selectorOf(f), overlay: overlayOf.has(f) ? overlayOf.get(f) : -1 }; } catch (e) { return null; }
  }).filter(Boolean);

  // a frame's own document, for banners that live inside an iframe
  let documentText = '', documentClickables = [];
  if (!opts.isTop && document.body) {
    try {
      documentText = visibleText(document.body, 3000);
      documentClickables = clickablesIn(document.body, ref);
    } catch (e) { /* ignore */ }
  }

  let outPrices = [];
  if (opts.prices) {  // only walked flows read baskets (journey checks): single-page scans skip the text walk
    try { outPrices = priceRows(ref); } catch (e) { outPrices = []; }
  }
  phases.prices = performance.now() - t0;

  return {
    url: location.href,
    prices: outPrices,
    document_text: documentText,
    document_clickables: documentClickables,
    title: cap(norm(document.title), 300),
    lang: document.documentElement ? (document.documentElement.getAttribute('lang') || '') : '',
    viewport: [window.innerWidth, window.innerHeight],
    controls: outControls,
    texts: outTexts,
    overlays: outOverlays,
    iframes: outFrames,
    forms: outForms,
    element_count: count,
    closed_shadow_roots: closedRoots,
    nodes_skipped: skipped,
    collector_ms: performance.now() - t0,
    phases_ms: phases,
    agent: opts.isTop ? agentFacts() : null,
  };
}

// ---------------------------------------------------------------- prices (baskets and order summaries)

// An amount with its currency, either side: "£129.00", "1.299,00 €", "R$ 49,90", "¥12,800", "12 800 円".
const PRICE_NUM = "\\d{1,3}(?:[.,'\\u00a0\\u202f ]\\d{3})+(?:[.,]\\d{1,2})?|\\d+(?:[.,]\\d{1,2})?";
// Symbols before the amount, units after it; ISO codes either side (the Python side reads the same list:
// auditor/browser/page.py, _CURRENCIES).
const CURRENCY_CODES = "CHF|USD|EUR|GBP|JPY|CNY|RMB|KRW|VND|THB|RUB|UAH|TRY|PLN|CZK|HUF|RON|BGN|SEK|NOK|DKK|INR|IDR|MYR|TWD|HKD|AUD|CAD|BRL|MXN|ILS|AED|SAR";
const PRICE_RE = new RegExp("[-−]?\\s?(?:US\\$|R\\$|NT\\$|HK\\$|A\\$|C\\$|£|€|\\$|¥|￥|₹|₩|₫|฿|₽|₴|₺|₪|\\bRp\\.?|\\bRM|\\b(?:" + CURRENCY_CODES +
  ")\\b)\\s?[-−]?(?:" + PRICE_NUM + ")|(?<![A-Za-z0-9])[-−]?(?:" + PRICE_NUM +
  ")\\s?(?:€|円|元|zł|원|₩|₫|đ|฿|บาท|₽|руб|₴|грн|₺|₪|kr\\b|Kč|Ft\\b|lei\\b|лв|TL\\b|\\b(?:" + CURRENCY_CODES + ")\\b)", "g");

// Rows that pair a label with one amount (a basket line, a fee, a total), inside the container that groups
// them. The label is the row's text without the amount.
function priceRows(ref) {
  if (!document.body) return [];
  const out = [];
  const seenRows = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node, n = 0;
  while ((node = walker.nextNode()) && out.length < 200 && n < 200000) {
    n++;
    const t = node.nodeValue;
    if (!t || t.length > 300 || !/\d/.test(t)) continue;
    PRICE_RE.lastIndex = 0;
    if (!PRICE_RE.test(t)) continue;
    if (/[+=]/.test(t) && countPrices(t) >= 2) continue;  // a breakdown ("₹60.00 + GST ₹10.80"), not a line
    const el = node.parentElement;
    if (!el || SKIP_TAGS.has(el.localName) || el.closest('script,style,noscript,template,option,select')) continue;
    // a price on a button ("Pay £56.95") is a call to action, not a line of the basket
    if (el.closest('button, [role=button], a[href]')) continue;
    let row = el;
    for (let cur = el.parentElement, k = 0; cur && k < 4 && cur !== document.body; cur = cur.parentElement, k++) {
      if (LIST_TAGS.has(cur.localName)) break;  // a list or table holds several lines (one may have no price)
      const text = norm(cur.innerText || '');
      if (text.length > 160 || countPrices(text) !== 1) break;
      if (cur.querySelector(TYPED_FIELDS)) break;  // a panel with a form in it is not one line
      row = cur;
    }
    if (seenRows.has(row)) continue;
    // an option offered (a delivery rate, an extra beside its tick box) is not a line of the basket
    if (row.querySelector('input[type=radio], input[type=checkbox]') || (row.closest('label') && row.closest('label').querySelector('input[type=radio], input[type=checkbox]'))) {
      seenRows.add(row);
      continue;
    }
    seenRows.add(row);
    const st = getComputedStyle(row);
    const box = boxOf(row);
    if (!box || box.width < 1 || box.height < 1 || !isRendered(row, st)) continue;
    // a quantity before the amount ("Patelnia × 1 129,99 zł") is not a thousands group of it
    const text = norm(row.innerText || '').replace(/([×x]\s?\d{1,3})\s+(?=\d)/g, '$1 · ');
    PRICE_RE.lastIndex = 0;
    const m = PRICE_RE.exec(text);
    if (!m) continue;
    let label = norm(text.replace(m[0], ' ')).replace(/^[:\s–—-]+|[:\s–—-]+$/g, '');
    // <th>Łącznie</th><td><strong>150,97 zł</strong> (zawiera VAT)</td>: the label is before the row's cell
    let labelled = row;
    for (let k = 0; k < 2 && !labelled.previousElementSibling && labelled.parentElement && labelled.parentElement !== document.body; k++) {
      labelled = labelled.parentElement;
    }
    if ((!label || /^\(.*\)$/.test(label) || !/\p{L}/u.test(label)) && labelled.previousElementSibling) {
      // <dt>Delivery</dt><dd>£4.95</dd>, <span>Convenience fees</span><span>₹70.80</span>: the label is just before
      // (its own small print, a price breakdown, dropped), unless that element is a line of its own
      const prev = labelled.previousElementSibling;
      PRICE_RE.lastIndex = 0;
      const before = norm((prev.innerText || '').replace(PRICE_RE, ' ')).replace(/[:\s]+$/, '');
      if (before.length <= 80 && !out.some((r) => prev === r.el || prev.contains(r.el))) label = before;
    }
    out.push({ el: row, ref: ref(row, text), label: cap(label, 200), raw: norm(m[0]), struck: isStruck(el, row) });
  }
  // the container of a row: the nearest ancestor that holds another row too
  const rows = new Set(out.map((r) => r.el));
  for (const r of out) {
    let c = r.el.parentElement, container = null;
    for (let k = 0; c && k < 8 && c !== document.documentElement; c = c.parentElement, k++) {
      let others = 0;
      for (const o of rows) if (o !== r.el && c.contains(o)) { others++; break; }
      if (others) { container = c; break; }
    }
    r.container = container ? selectorOf(container) : '';
    delete r.el;
  }
  return out;
}

const LIST_TAGS = new Set(['dl', 'ul', 'ol', 'table', 'tbody', 'thead', 'tfoot']);
// fields a person types into: a block holding one is a form panel, never a single basket line
const TYPED_FIELDS = 'input:not([type]), input[type=text], input[type=email], input[type=tel], input[type=password], textarea';

function countPrices(text) {
  PRICE_RE.lastIndex = 0;
  let k = 0;
  while (PRICE_RE.exec(text) && k < 3) k++;
  return k;
}

function isStruck(el, row) {
  for (let cur = el; cur && cur !== row.parentElement; cur = cur.parentElement) {
    if (cur.localName === 's' || cur.localName === 'del') return true;
    if ((getComputedStyle(cur).textDecorationLine || '').includes('line-through')) return true;
  }
  return false;
}

// The kinds of field under an element (type -> count; ``card`` for payment-card fields).
function fieldCounts(root) {
  const fields = {};
  root.querySelectorAll('input, select, textarea').forEach((i) => {
    let t = i.localName === 'input' ? (i.type || 'text').toLowerCase() : i.localName;
    if (t === 'hidden' || t === 'submit' || t === 'button' || t === 'image' || t === 'reset') return;
    if (/^cc-/.test(i.getAttribute('autocomplete') || '')) t = 'card';
    fields[t] = (fields[t] || 0) + 1;
  });
  return fields;
}

// Did the person the auditor plays (a flow step: check, click, select) set this control? The auditor's world
// records the elements trusted input events passed through (world.js): a page cannot forge those.
function touchedByPerson(el) {
  const s = window.__auditor;
  const t = s && s.touched;
  if (!t) return false;
  if (t.has(el)) return true;
  // the collector's own label index: ``el.labels`` scans the whole document on its first use for each control
  // (seconds on a page of 100,000 elements with thousands of boxes)
  for (const l of labelsOf(el)) if (t.has(l)) return true;
  for (let cur = el.parentElement; cur; cur = cur.parentElement) if (t.has(cur) && cur.localName === 'label') return true;
  return false;
}

// What the page's scripts can read about the browser that drives it (recorded as the auditor's presentation).
function agentFacts() {
  let brands = [];
  try { brands = (navigator.userAgentData && navigator.userAgentData.brands || []).map((b) => String(b.brand)); } catch (e) { brands = []; }
  return { webdriver: navigator.webdriver === undefined ? null : !!navigator.webdriver, ua: String(navigator.userAgent || ''), brands };
}

// Where a frame's content starts inside its parent frame, and the iframe element's selector.
function frameInfo(el) {
  const r = el.getBoundingClientRect();
  const st = getComputedStyle(el);
  return {
    selector: selectorOf(el),
    x: r.left + window.scrollX + el.clientLeft + (parseFloat(st.paddingLeft) || 0),
    y: r.top + window.scrollY + el.clientTop + (parseFloat(st.paddingTop) || 0),
  };
}
