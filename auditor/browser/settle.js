// consent-auditor settle tracker: installed before any page script runs (add_init_script), in every frame.
// Records when the DOM last changed and how many short timers are still pending, so the auditor can wait
// for a banner that a page injects one to three seconds after load. It changes nothing the page can see
// except that setTimeout/clearTimeout are wrapped (the originals are called with the same arguments).
(() => {
  const KEY = Symbol.for('consent-auditor.settle');
  if (window[KEY]) return;
  const HORIZON = __HORIZON__;  // timers longer than this (ms) are not waited for
  const MAX_DEPTH = 2;  // a timer set from a timer set from a timer: polling loops are not waited for
  // the collector returns its facts as one JSON string; keep the natives in case the page replaces JSON later
  const state = { lastMutation: performance.now(), pending: 0, depth: 0,
                  json: { parse: JSON.parse, stringify: JSON.stringify } };
  Object.defineProperty(window, KEY, { value: state, enumerable: false });
  const nativeSet = window.setTimeout;
  const nativeClear = window.clearTimeout;
  const live = new Map();
  window.setTimeout = function (fn, delay, ...args) {
    const d = Number(delay) || 0;
    const depth = state.depth;
    if (typeof fn !== 'function' || d > HORIZON || depth > MAX_DEPTH) return nativeSet.call(this, fn, delay, ...args);
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
  const observe = () => {
    try {
      new MutationObserver(() => { state.lastMutation = performance.now(); })
        .observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
    } catch (e) { /* a page without a document yet */ }
  };
  observe();
})();
