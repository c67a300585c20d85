// consent-auditor settle tracker: installed before any page script runs (add_init_script), in every frame.
// Records when the DOM last changed and how many short timers are still pending, so the auditor can wait
// for a banner that a page injects one to three seconds after load. It changes nothing the page can see
// except that setTimeout/clearTimeout are wrapped (the originals are called with the same arguments).
(() => {
  const KEY = Symbol.for('consent-auditor.settle');
  if (window[KEY]) return;
  const HORIZON = __HORIZON__;  // timers longer than this (ms) are not waited for
  // a timer the page's own load code sets (not from inside another timer) is waited for up to this long: a
  // consent dialog or marketing pop-up scheduled "4 s after load" is part of what a visitor sees; chains of
  // timers (carousels, polling) are waited for only while each link is short
  const LOAD_HORIZON = __LOAD_HORIZON__;
  const LOAD_WINDOW = 3000;  // ms after the document started: what its load code schedules
  const MAX_DEPTH = 2;  // a timer set from a timer set from a timer: polling loops are not waited for
  // the collector returns its facts as one JSON string; keep the natives in case the page replaces JSON later
  // closed: the shadow roots a page attached in closed mode. The page keeps a closed root (its host's
  // shadowRoot stays null, as in any browser); only the collector reads them, so a banner rendered in one is
  // audited like any other.
  const state = { lastMutation: performance.now(), pending: 0, depth: 0, closed: new WeakMap(),
                  json: { parse: JSON.parse, stringify: JSON.stringify } };
  Object.defineProperty(window, KEY, { value: state, enumerable: false });
  const nativeSet = window.setTimeout;
  const nativeClear = window.clearTimeout;
  const live = new Map();
  window.setTimeout = function (fn, delay, ...args) {
    const d = Number(delay) || 0;
    const depth = state.depth;
    // "load code": not inside a timer, and in the document's first seconds (a click handler's toast timer later
    // on, in a walked flow, is not waited for)
    const loading = depth === 0 && performance.now() < LOAD_WINDOW;
    if (typeof fn !== 'function' || d > (loading ? LOAD_HORIZON : HORIZON) || depth > MAX_DEPTH) {
      return nativeSet.call(this, fn, delay, ...args);
    }
    let id;
    const wrapped = function () {
      if (live.delete(id)) state.pending--;
      state.depth = depth + 1;
      try { return fn.apply(this, args); } finally { state.depth = depth; }
    };
    id = nativeSet.call(this, wrapped, delay);
    live.set(id, true);
    state.pending++;
    return id;
  };
  window.clearTimeout = function (id) {
    if (live.delete(id)) state.pending--;
    return nativeClear.call(this, id);
  };
  try {
    const nativeAttach = Element.prototype.attachShadow;
    Object.defineProperty(Element.prototype, 'attachShadow', {
      configurable: true, writable: true,
      value: { attachShadow(init) {
        const root = nativeAttach.call(this, init);
        try { if (init && init.mode === 'closed') state.closed.set(this, root); } catch (e) { /* keep the root */ }
        return root;
      } }.attachShadow,
    });
  } catch (e) { /* no shadow DOM */ }
  // how many times the DOM changed: read by the flow runner to tell a step that changed nothing (its audit is
  // then reused). Kept in this closure behind a getter the page can read but not redefine or reset.
  let mutations = 0;
  Object.defineProperty(state, 'mutations', { get: () => mutations, enumerable: false, configurable: false });
  const observe = () => {
    try {
      new MutationObserver((records) => { mutations += records.length; state.lastMutation = performance.now(); })
        .observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
    } catch (e) { /* a page without a document yet */ }
  };
  observe();
})();
