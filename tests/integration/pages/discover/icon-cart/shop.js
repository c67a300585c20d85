/* Linen & Loom: bag in localStorage, header count, checkout steps. */
(function () {
  'use strict';
  var KEY = 'll_bag';
  function bag() { try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; } }
  function money(p) { return '€' + (p / 100).toFixed(2); }
  function refreshCount() {
    var n = bag().reduce(function (s, it) { return s + it.qty; }, 0);
    document.querySelectorAll('[data-bag-count]').forEach(function (el) { el.textContent = n ? String(n) : ''; });
  }
  document.addEventListener('DOMContentLoaded', function () {
    refreshCount();
    var add = document.getElementById('add-form');
    if (add) {
      add.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var items = bag();
        items.push({ name: add.dataset.name, price: Number(add.dataset.price), qty: 1,
                     size: (add.querySelector('[name=size]:checked') || {}).value || '' });
        localStorage.setItem(KEY, JSON.stringify(items));
        refreshCount();
        var t = document.getElementById('toast');
        t.hidden = false;
        setTimeout(function () { t.hidden = true; }, 2500);
      });
    }
    var lines = document.getElementById('bag-lines');
    if (lines) {
      var items = bag();
      var sum = 0;
      lines.innerHTML = items.map(function (it) {
        sum += it.price * it.qty;
        return '<tr><td>' + it.name + ' <small>(' + it.size + ')</small></td><td>' + it.qty + '</td><td>' + money(it.price * it.qty) + '</td></tr>';
      }).join('') || '<tr><td colspan="3">Your bag is empty.</td></tr>';
      document.getElementById('bag-total').textContent = money(sum);
    }
    var ship = document.getElementById('shipping');
    if (ship) {
      ship.addEventListener('submit', function (ev) { ev.preventDefault(); location.href = '/payment.html'; });
    }
    var pay = document.getElementById('payment');
    if (pay) {
      pay.addEventListener('submit', function (ev) { ev.preventDefault(); document.querySelector('main').textContent = 'Thank you for your order.'; });
    }
  });
}());
