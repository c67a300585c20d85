// consent-auditor timer counter: installed in the page's own (main) world before any page script runs
// (add_init_script), in every frame. Everything else the auditor runs in the page lives in its isolated world
// (world.js, auditor/browser/worlds.py), where the page cannot reach; this part has to be in the page's world
// because it counts what the page's scripts do:
// - short timers still pending, so the auditor waits for a banner a page injects one to three seconds after load;
// - closed shadow roots attached (the auditor then reads them through the DevTools protocol);
// - service-worker registrations asked for (audits bypass service workers; the report says the page wanted one).
// The counts live in this closure. The page can read them through one function fixed on window under a key new
// for every run (non-writable, non-configurable: it cannot be replaced or deleted), and can at most make the
// auditor wait longer (up to its settle cap) or look harder.
(() => {
  const KEY = '__READER_KEY__';
  if (Object.prototype.hasOwnProperty.call(window, KEY)) return;
  const HORIZON = __HORIZON__;  // timers longer than this (ms) are not waited for
  // a timer the page's own load code sets (not from inside another timer) is waited for up to this long: a
  // consent dialog or marketing pop-up scheduled "4 s after load" is part of what a visitor sees; chains of
  // timers (carousels, polling) are waited for only while each link is short
  const LOAD_HORIZON = __LOAD_HORIZON__;
  const LOAD_WINDOW = 3000;  // ms after the document started: what its load code schedules
  const MAX_DEPTH = 2;  // a timer set from a timer set from a timer: polling loops are not waited for
  let pending = 0, depth = 0, closed = 0, workers = 0;
  const now = performance.now.bind(performance);
  const apply = Reflect.apply;
  Object.defineProperty(window, KEY, {
    value: () => pending + ',' + closed + ',' + workers, enumerable: false, writable: false, configurable: false,
  });
  const nativeSet = window.setTimeout;
  const nativeClear = window.clearTimeout;
  const live = new Map();
  const has = Map.prototype.has, set = Map.prototype.set, del = Map.prototype.delete;
  window.setTimeout = function (fn, delay, ...args) {
    const d = Number(delay) || 0;
    const myDepth = depth;
    // "load code": not inside a timer, and in the document's first seconds (a click handler's toast timer later
    // on, in a walked flow, is not waited for)
    const loading = myDepth === 0 && now() < LOAD_WINDOW;
    if (typeof fn !== 'function' || d > (loading ? LOAD_HORIZON : HORIZON) || myDepth > MAX_DEPTH) {
      return apply(nativeSet, this, [fn, delay, ...args]);
    }
    let id;
    const wrapped = function () {
      if (apply(del, live, [id])) pending--;
      depth = myDepth + 1;
      try { return apply(fn, this, args); } finally { depth = myDepth; }
    };
    id = apply(nativeSet, this, [wrapped, delay]);
    apply(set, live, [id, true]);
    pending++;
    return id;
  };
  window.clearTimeout = function (id) {
    if (apply(has, live, [id]) && apply(del, live, [id])) pending--;
    return apply(nativeClear, this, [id]);
  };
  try {
    const nativeAttach = Element.prototype.attachShadow;
    Object.defineProperty(Element.prototype, 'attachShadow', {
      configurable: true, writable: true,
      value: { attachShadow(init) {
        const root = apply(nativeAttach, this, [init]);
        try { if (init && init.mode === 'closed') closed++; } catch (e) { /* a hostile init object */ }
        return root;
      } }.attachShadow,
    });
  } catch (e) { /* no shadow DOM */ }
  try {
    const container = window.ServiceWorkerContainer && ServiceWorkerContainer.prototype;
    const nativeRegister = container && container.register;
    if (nativeRegister) {
      Object.defineProperty(container, 'register', {
        configurable: true, writable: true,
        value: { register(...args) { workers++; return apply(nativeRegister, this, args); } }.register,
      });
    }
  } catch (e) { /* no service workers here (an opaque origin) */ }
})();
