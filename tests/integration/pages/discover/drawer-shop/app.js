/* Lumen & Co storefront: the mini cart drawer and the checkout steps (sessionStorage). */
(function () {
  'use strict';
  var KEY = 'lumen_cart';
  function cart() { try { return JSON.parse(sessionStorage.getItem(KEY)) || []; } catch (e) { return []; } }
  function money(c) { return '$' + (c / 100).toFixed(2); }

  function renderDrawer() {
    var items = cart();
    var list = document.querySelector('[data-drawer-items]');
    if (!list) { return; }
    list.innerHTML = items.length ? items.map(function (it) {
      return '<li><span>' + it.name + ' — ' + it.finish + ' × ' + it.qty + '</span><span>' + money(it.price * it.qty) + '</span></li>';
    }).join('') : '<li>Your cart is empty.</li>';
    var sum = items.reduce(function (s, it) { return s + it.price * it.qty; }, 0);
    document.querySelector('[data-drawer-subtotal]').textContent = money(sum);
    document.querySelectorAll('[data-cart-count]').forEach(function (el) {
      el.textContent = String(items.reduce(function (n, it) { return n + it.qty; }, 0));
    });
    document.querySelector('[data-drawer-checkout]').hidden = !items.length;
  }
  function openDrawer() { renderDrawer(); document.getElementById('cart-drawer').hidden = false; }
  function closeDrawer() { document.getElementById('cart-drawer').hidden = true; }

  document.addEventListener('DOMContentLoaded', function () {
    var drawer = document.getElementById('cart-drawer');
    if (drawer) {
      renderDrawer();
      document.querySelectorAll('[data-open-cart]').forEach(function (b) { b.addEventListener('click', openDrawer); });
      drawer.addEventListener('click', function (ev) {
        if (ev.target === drawer || ev.target.closest('[data-close-cart]')) { closeDrawer(); }
      });
    }
    var add = document.getElementById('product-form');
    if (add) {
      add.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var items = cart();
        items.push({ name: add.dataset.name, price: Number(add.dataset.price), qty: Number(add.quantity.value) || 1,
                     finish: add.querySelector('[name=finish]:checked').value });
        sessionStorage.setItem(KEY, JSON.stringify(items));
        openDrawer();
      });
    }
    var ship = document.getElementById('shipping-form');
    if (ship) {
      ship.addEventListener('submit', function (ev) {
        ev.preventDefault();
        sessionStorage.setItem('lumen_ship', JSON.stringify({ name: ship.name.value, address: ship.address1.value,
                                                              city: ship.city.value, zip: ship.zip.value }));
        location.href = '/review.html';
      });
    }
    var review = document.getElementById('review-form');
    if (review) {
      var s = {};
      try { s = JSON.parse(sessionStorage.getItem('lumen_ship')) || {}; } catch (e) { /* empty */ }
      document.querySelector('[data-ship-to]').textContent = [s.name, s.address, s.city, s.zip].filter(Boolean).join(', ');
      review.addEventListener('submit', function (ev) {
        ev.preventDefault();
        sessionStorage.removeItem(KEY);
        document.querySelector('main').innerHTML = '<div class="wrap" style="padding:60px 0"><h1>Thank you!</h1>' +
          '<p>Your order LUM-10482 is confirmed. Pay the driver in cash or by card when your lamp arrives.</p></div>';
      });
    }
  });
}());
