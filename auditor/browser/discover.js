// What automatic discovery needs to know about a page, in one round trip: the links and buttons a person could
// use (their visible name, where they point, where they sit), the form fields (what they ask for, their state),
// the forms, and whether the page asks for card details. Facts only: auditor/flows/discover.py decides.
// Walks one document and its open shadow roots; discovery runs it in every frame (a flow step names the frame).
// It runs in the auditor's isolated world (auditor/browser/worlds.py): the elements are kept on that world's
// window, out of the page's sight, so Python can check that a selector it writes points at the same element.
({ limit, cardRe, notCard }) => {
  const KEY = Symbol.for('consent-auditor.discover');
  const els = [];
  try { window[KEY] = els; } catch (e) { /* a frozen window: selectors are then checked by count only */ }
  const clean = (t) => String(t || '').replace(/\s+/g, ' ').trim();
  const esc = (s) => (window.CSS && CSS.escape ? CSS.escape(s) : String(s).replace(/[^\w-]/g, '\\$&'));
  const quote = (s) => '"' + String(s).replace(/["\\]/g, '\\$&') + '"';
  const PRICE = /(?:[£€$¥￥₹₩₫฿₽₴₺₪]|R\$|US\$|\bRp|\bRM)\s?\d|\d(?:[.,]\d{2,3})?\s?(?:€|EUR|USD|GBP|円|元|zł|원|₩|₫|đ|฿|บาท|₽|руб|₴|грн|₺|kr|Kč|Ft|lei|лв|TL)(?![\p{L}])/u;
  // payment card fields by their name or id, and cards that pay nothing (a gift card): the lexicon's words
  const CARD = new RegExp(cardRe, 'i');

  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && parseFloat(s.opacity || '1') > 0.05;
  };
  const unique = (root, sel, el) => {
    try { const m = root.querySelectorAll(sel); return m.length === 1 && m[0] === el; } catch (e) { return false; }
  };
  const path = (el) => {
    const parts = [];
    for (let cur = el; cur && cur.nodeType === 1; cur = cur.parentElement) {
      if (cur.id && unique(cur.getRootNode(), '#' + esc(cur.id), cur)) { parts.unshift('#' + esc(cur.id)); break; }
      let n = 1;
      for (let s = cur.previousElementSibling; s; s = s.previousElementSibling) if (s.localName === cur.localName) n++;
      parts.unshift(cur.localName + ':nth-of-type(' + n + ')');
    }
    return parts.join(' > ');
  };
  const css = (el) => {
    const root = el.getRootNode();
    let sel = '';
    if (el.id && unique(root, '#' + esc(el.id), el)) sel = '#' + esc(el.id);
    const name = el.getAttribute('name');
    if (!sel && name) {
      const s = el.localName + '[name=' + quote(name) + ']';
      if (unique(root, s, el)) sel = s;
      else if (el.getAttribute('value') != null) {
        const v = s + '[value=' + quote(el.getAttribute('value')) + ']';
        if (unique(root, v, el)) sel = v;
      }
    }
    if (!sel) sel = path(el);
    const host = root.host;
    return host ? css(host) + ' >> ' + sel : sel;
  };
  const textOf = (el) => clean(el.getAttribute('aria-label') || el.innerText || el.value || el.getAttribute('title')
    || (el.querySelector && el.querySelector('img[alt]') ? el.querySelector('img[alt]').alt : '')
    || (el.querySelector && el.querySelector('svg title') ? el.querySelector('svg title').textContent : ''));
  const labelOf = (el) => {
    let t = '';
    const by = el.getAttribute('aria-labelledby');
    if (by) t = by.split(/\s+/).map((id) => { const x = el.getRootNode().getElementById ? el.getRootNode().getElementById(id) : document.getElementById(id); return x ? x.innerText : ''; }).join(' ');
    if (!t && el.labels && el.labels.length) t = el.labels[0].innerText;
    if (!t) t = el.getAttribute('aria-label') || '';
    if (!t) { const l = el.closest('label'); if (l) t = l.innerText; }
    if (!t) {  // a label-like text just before the field in its group
      const g = el.parentElement;
      if (g) { const p = g.querySelector('label, .label, span, p'); if (p && p !== el && !p.contains(el)) t = p.innerText; }
    }
    return clean(t).slice(0, 160);
  };
  const rowText = (el, lab) => {
    for (let cur = el.parentElement, k = 0; cur && k < 3 && cur !== document.body; cur = cur.parentElement, k++) {
      const t = clean(cur.innerText);
      if (t.length > 240) break;
      if (t.length > lab.length + 3) return t;
    }
    return '';
  };
  const region = (el) => {
    for (let cur = el; cur; cur = cur.parentElement || (cur.getRootNode && cur.getRootNode().host) || null) {
      const tag = cur.localName, role = cur.getAttribute && cur.getAttribute('role');
      if (tag === 'header' || role === 'banner') return 'header';
      if (tag === 'footer' || role === 'contentinfo') return 'footer';
      if (tag === 'nav' || role === 'navigation') return 'nav';
      if (tag === 'aside' || role === 'complementary') return 'aside';
      if (tag === 'dialog' || role === 'dialog') return 'dialog';
      if (tag === 'main' || role === 'main') return 'main';
    }
    return '';
  };
  const nearPrice = (el) => {
    let cur = el;
    for (let i = 0; i < 5 && cur; i++, cur = cur.parentElement) {
      const t = cur.innerText || '';
      if (t.length > 600) break;
      if (PRICE.test(t)) return true;
    }
    return false;
  };

  const forms = [];
  const formIndex = (el) => {
    const f = el.form || el.closest('form');
    if (!f) return -1;
    let i = forms.findIndex((x) => x.el === f);
    if (i < 0) {
      i = forms.length;
      let action = '';
      try { action = new URL(f.getAttribute('action') || '', location.href).pathname; } catch (e) { action = ''; }
      forms.push({ el: f, search: f.getAttribute('role') === 'search' || !!f.querySelector('input[type=search]'),
                   region: region(f), selector: css(f), action });
    }
    return i;
  };

  const controls = [];
  const fields = [];
  let card = 0;
  // options drawn as buttons (a size swatch: role=radio or option, aria-checked) count as controls too
  const CONTROL = 'a[href], button, [role=button], [role=link], [role=radio], [role=option], input[type=submit], input[type=button], input[type=image]';
  const FIELD = 'input, select, textarea';
  const walk = (root) => {
    for (const el of root.querySelectorAll(CONTROL + ', ' + FIELD + ', *')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      if (controls.length + fields.length > limit) return;
      const tag = el.localName;
      const isField = (tag === 'input' && !['submit', 'button', 'image', 'reset', 'hidden', 'file'].includes(el.type))
        || tag === 'select' || tag === 'textarea';
      if (isField) {
        const vis = visible(el);
        const lab = labelOf(el);
        const ac = (el.getAttribute('autocomplete') || '').toLowerCase();
        const ids = (el.name || '') + ' ' + (el.id || '');
        const cardish = ac.startsWith('cc-') || (CARD.test(ids) && !new RegExp(notCard, 'i').test(ids));
        const labelVisible = vis || !!(el.labels && [...el.labels].some(visible)) || !!(el.closest('label') && visible(el.closest('label')));
        // a card field counts when it is shown (or its label is: a styled input): a collapsed payment section
        // of a one-page checkout is not the payment step yet
        if (cardish && labelVisible) card++;
        if (!vis && !labelVisible) continue;
        els.push(el);
        fields.push({
          i: els.length - 1, tag, type: tag === 'input' ? (el.type || 'text') : tag, id: el.id || '',
          name: el.getAttribute('name') || '', autocomplete: ac, label: lab,
          placeholder: clean(el.getAttribute('placeholder')).slice(0, 80), required: !!el.required || el.getAttribute('aria-required') === 'true',
          value: tag === 'select' ? (el.value || '') : (el.value ? 'filled' : ''), checked: !!el.checked,
          disabled: !!el.disabled || !!el.readOnly, visible: vis, labelVisible, form: formIndex(el), selector: css(el),
          region: region(el), cardish,
          options: tag === 'select' ? [...el.options].slice(0, 60).map((o) => ({ value: o.value, label: clean(o.label || o.text), disabled: o.disabled })) : [],
          selectedIndex: tag === 'select' ? el.selectedIndex : -1,
          // a box labelled only "동의함" / "I agree" is about what its row asks ("마케팅 정보 수신에 동의하십니까?")
          context: (el.type === 'checkbox' || el.type === 'radio') ? rowText(el, lab) : '',
        });
      } else if (el.matches(CONTROL)) {
        if (!visible(el)) continue;
        const text = textOf(el);
        // an SVG <a> has an SVGAnimatedString href: only HTML links are followed
        const href = el instanceof HTMLAnchorElement ? el.href : '';
        if (!text && !href) continue;
        els.push(el);
        const r = el.getBoundingClientRect();
        const fi = formIndex(el);
        // the accessible name comes from the DOM text, not the rendered one (CSS text-transform)
        const name = clean(el.getAttribute('aria-label') || el.textContent || el.value || el.getAttribute('title') || '');
        controls.push({
          i: els.length - 1, tag, role: el.getAttribute('role') || (tag === 'a' ? 'link' : 'button'),
          type: el.getAttribute('type') || '', text: text.slice(0, 160), name: name.slice(0, 160), href,
          rawHref: el instanceof HTMLAnchorElement ? (el.getAttribute('href') || '') : '', selector: css(el), region: region(el), form: fi,
          submit: fi >= 0 && (el.type === 'submit' || (tag === 'button' && !el.getAttribute('type'))),
          disabled: !!el.disabled || el.getAttribute('aria-disabled') === 'true', nearPrice: nearPrice(el),
          image: !!(el.querySelector && el.querySelector('img, svg')), y: r.top + window.scrollY, area: r.width * r.height,
          // a choice drawn as a button: its state, and the group it belongs to (its radiogroup or listbox)
          selected: ['aria-checked', 'aria-selected', 'aria-pressed'].some((a) => el.getAttribute(a) === 'true'),
          group: (() => { const g = el.closest('[role=radiogroup], [role=listbox], fieldset'); return g ? css(g) : ''; })(),
        });
      }
    }
  };
  walk(document);
  const h1 = document.querySelector('h1');
  return {
    url: location.href, title: document.title, h1: h1 ? clean(h1.innerText).slice(0, 160) : '',
    controls, fields, card,
    forms: forms.map((f) => ({ search: f.search, region: f.region, selector: f.selector, action: f.action })),
  };
}
