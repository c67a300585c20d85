/* Maison Lavande : bandeau cookies (CNIL : « Continuer sans accepter ») et formulaire d'inscription. */
(function () {
  'use strict';
  var CLE = 'ml_consentement';
  function bandeau() {
    if (localStorage.getItem(CLE)) { return; }
    var b = document.createElement('div');
    b.id = 'bandeau-cookies';
    b.setAttribute('role', 'dialog');
    b.setAttribute('aria-label', 'Gestion des cookies');
    b.innerHTML = '<a href="#" class="sans" data-choix="refus">Continuer sans accepter →</a>' +
      '<strong>Vos choix en matière de cookies</strong>' +
      '<p>Nous et nos partenaires utilisons des cookies pour mesurer l\'audience, personnaliser les contenus et vous ' +
      'proposer des publicités adaptées à vos centres d\'intérêt. Vous pouvez accepter, refuser ou personnaliser vos choix.</p>' +
      '<div class="actions"><button type="button" class="bouton secondaire" data-choix="perso">Personnaliser</button>' +
      '<button type="button" class="bouton secondaire" data-choix="refus">Tout refuser</button>' +
      '<button type="button" class="bouton" data-choix="accord">Tout accepter</button></div>';
    b.addEventListener('click', function (ev) {
      var c = ev.target.closest('[data-choix]');
      if (!c) { return; }
      ev.preventDefault();
      if (c.getAttribute('data-choix') === 'perso') { return; }
      localStorage.setItem(CLE, c.getAttribute('data-choix'));
      b.remove();
    });
    document.body.appendChild(b);
  }
  document.addEventListener('DOMContentLoaded', function () {
    var f = document.getElementById('customer-form');
    if (f) {
      f.addEventListener('submit', function (ev) {
        ev.preventDefault();
        sessionStorage.setItem('ml_prenom', f.firstname.value);
        location.href = '/bienvenue.html';
      });
    }
    var p = document.querySelector('[data-prenom]');
    if (p) { p.textContent = sessionStorage.getItem('ml_prenom') || ''; }
    setTimeout(bandeau, 200);
  });
}());
