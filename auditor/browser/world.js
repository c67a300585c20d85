// consent-auditor world script: runs in the auditor's isolated world of every frame (auditor/browser/worlds.py),
// before any page script. The page shares this document's DOM but cannot see or change anything defined here.
// It keeps two things:
// - a clock of DOM changes (when the DOM last changed, how many changes so far), for the settle wait and for
//   telling a flow step that changed nothing;
// - the elements a person acted on: trusted input events (a real click, key press or typed text; a page cannot
//   make an event trusted) mark every element on their path, so a box the walked flow ticked is the person's
//   choice and not the page's pre-ticking. A <select> changed by a flow step (Playwright sets it from script, so
//   its events are not trusted) is marked while the step is armed (``arm``), and only a select.
(() => {
  if (window.__auditor) return;
  const state = { lastMutation: performance.now(), mutations: 0, touched: new WeakSet(), armed: false, picked: null };
  Object.defineProperty(window, '__auditor', { value: state });
  const mark = (event) => {
    const path = event.composedPath ? event.composedPath() : [event.target];
    for (const n of path) if (n && n.nodeType === 1) state.touched.add(n);
  };
  const onEvent = (event) => {
    if (event.isTrusted) mark(event);
    else if (state.armed && event.target && event.target.localName === 'select') mark(event);
  };
  for (const type of ['click', 'keydown', 'input', 'change', 'pointerdown']) {
    window.addEventListener(type, onEvent, true);
  }
  // the element a Playwright locator found, handed over to this world (worlds.py, on_element): Playwright
  // dispatches an event of this run's own type on it from its utility world; a page does not know the type's
  // name, and this listener, registered before any page script, hears it first
  window.addEventListener('__PICK_EVENT__', (event) => {
    const path = event.composedPath ? event.composedPath() : [];
    state.picked = path.length ? path[0] : event.target;
    event.stopImmediatePropagation();
  }, true);
  const observe = () => {
    try {
      new MutationObserver((records) => { state.mutations += records.length; state.lastMutation = performance.now(); })
        .observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
    } catch (e) { /* no document yet */ }
  };
  observe();
})();
