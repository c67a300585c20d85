/* Wanderwerk shop script: cookie banner, basket (localStorage), the forms of the shop. */
(function () {
  'use strict';
  var CART = 'ww_warenkorb';
  var CONSENT = 'ww_cookie_consent';
  function euro(cents) { return (cents / 100).toFixed(2).replace('.', ',') + '\u00a0€'; }
  function cart() { try { return JSON.parse(localStorage.getItem(CART)) || []; } catch (e) { return []; } }
  function save(items) { localStorage.setItem(CART, JSON.stringify(items)); }
  function count() { return cart().reduce(function (n, it) { return n + it.menge; }, 0); }

  function banner() {
    if (localStorage.getItem(CONSENT)) { return; }
    var el = document.createElement('div');
    el.className = 'cc';
    el.setAttribute('role', 'dialog');
    el.setAttribute('aria-label', 'Cookie-Einstellungen');
    el.innerHTML = '<div class="container"><div><strong>Wir verwenden Cookies</strong>' +
      '<p>Wir und unsere Partner nutzen Cookies und ähnliche Technologien, um unseren Shop zu verbessern, ' +
      'Ihnen personalisierte Werbung anzuzeigen und die Nutzung zu analysieren. Mit „Alle akzeptieren“ stimmen Sie ' +
      'dem zu. Ihre Einwilligung können Sie jederzeit in den Cookie-Einstellungen widerrufen. ' +
      '<a href="#datenschutz">Datenschutzerklärung</a></p></div>' +
      '<div class="cc-actions"><button type="button" class="btn btn-secondary" data-cc="settings">Einstellungen</button>' +
      '<button type="button" class="btn btn-secondary" data-cc="reject">Nur notwendige Cookies</button>' +
      '<button type="button" class="btn btn-primary" data-cc="accept">Alle akzeptieren</button></div></div>';
    el.addEventListener('click', function (ev) {
      var b = ev.target.closest('[data-cc]');
      if (!b) { return; }
      var what = b.getAttribute('data-cc');
      if (what === 'settings') { return; }
      localStorage.setItem(CONSENT, what);
      el.remove();
    });
    document.body.appendChild(el);
  }

  function badge() {
    var b = document.querySelector('[data-cart-count]');
    if (b) { b.textContent = String(count()); }
  }

  function productForm() {
    var form = document.getElementById('kaufen');
    if (!form) { return; }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var items = cart();
      items.push({ sku: form.dataset.sku, name: form.dataset.name, preis: Number(form.dataset.preis),
                   groesse: form.groesse.value, menge: Number(form.menge.value) || 1 });
      save(items);
      location.href = '/warenkorb.html';
    });
  }

  function basketPage() {
    var body = document.getElementById('warenkorb-inhalt');
    if (!body) { return; }
    var items = cart();
    if (!items.length) {
      document.getElementById('warenkorb-voll').hidden = true;
      document.getElementById('warenkorb-leer').hidden = false;
      return;
    }
    var sum = 0;
    body.innerHTML = items.map(function (it, i) {
      sum += it.preis * it.menge;
      return '<tr><td><a href="/regenjacke-sturmfest.html">' + it.name + '</a><br><small>Größe: ' + it.groesse + '</small></td>' +
        '<td><label class="visually-hidden" for="menge-' + i + '">Menge</label><input id="menge-' + i + '" type="number" min="1" value="' + it.menge + '" style="width:60px"></td>' +
        '<td>' + euro(it.preis * it.menge) + '</td><td><button type="button" class="btn btn-secondary">Entfernen</button></td></tr>';
    }).join('');
    document.getElementById('zwischensumme').textContent = euro(sum);
    document.getElementById('gesamtsumme').textContent = euro(sum);
  }

  function stepForm(id, next) {
    var form = document.getElementById(id);
    if (!form) { return; }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      location.href = next;
    });
  }

  function registration() {
    var form = document.getElementById('registrierung');
    if (!form) { return; }
    var steps = form.querySelectorAll('[data-schritt]');
    var current = 0;
    function show(i) {
      current = i;
      steps.forEach(function (s, k) { s.hidden = k !== i; });
      document.querySelectorAll('.steps li').forEach(function (li, k) { li.classList.toggle('is-active', k === i); });
    }
    form.querySelector('[data-zurueck]').addEventListener('click', function () { show(0); });
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var err = document.getElementById('passwort-fehler');
      if (current === 0) {
        if (form.passwort.value !== form.passwort2.value) { err.hidden = false; return; }
        err.hidden = true;
        show(1);
        return;
      }
      form.hidden = true;
      document.getElementById('konto-angelegt').hidden = false;
    });
    show(0);
  }

  document.addEventListener('DOMContentLoaded', function () {
    badge();
    productForm();
    basketPage();
    registration();
    stepForm('lieferadresse', '/zahlung.html');
    stepForm('zahlung', '/bestellt.html');
    setTimeout(banner, 300);
  });
}());
