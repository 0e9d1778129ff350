/* CityReport service worker, served at /sw.js (scope: the whole site) with self.CITYREPORT_SW set above
   this text: {version, shell: [urls], offline: url, pages: [urls], queue: url}.
   - install: cache the app shell (CSS, JS, Leaflet, icons, the report form and the offline page);
   - pages: network first, so residents always see fresh data; the cached copy only when offline;
   - versioned static files (?v=<hash>) never change, so they come from the cache first;
   - a Background Sync event sends the reports kept in IndexedDB (the same code as the page uses). */
/* global self, caches, importScripts, CityReportQueue */
(function () {
  "use strict";
  var config = self.CITYREPORT_SW;
  var CACHE = "cityreport-" + config.version;
  importScripts(config.queue);

  function samePage(url, page) {
    return url.origin === self.location.origin && url.pathname === page;
  }

  self.addEventListener("install", function (event) {
    event.waitUntil(caches.open(CACHE).then(function (cache) {
      return cache.addAll(config.shell.map(function (u) { return new Request(u, { credentials: "same-origin" }); }));
    }).then(function () { return self.skipWaiting(); }));
  });

  self.addEventListener("activate", function (event) {
    event.waitUntil(caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf("cityreport-") === 0 && n !== CACHE; })
        .map(function (n) { return caches.delete(n); }));
    }).then(function () { return self.clients.claim(); }));
  });

  function keptPage(url) {
    return config.pages.some(function (page) { return samePage(url, page); });
  }

  function fromNetworkThenCache(request, url) {
    return fetch(request).then(function (response) {
      var private_ = /no-store|private/.test(response.headers.get("Cache-Control") || "");
      if (response.ok && keptPage(url) && !response.redirected && !private_) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return caches.open(CACHE).then(function (cache) {
        return cache.match(url.pathname).then(function (hit) {
          return hit || cache.match(config.offline);
        });
      });
    });
  }

  function fromCacheThenNetwork(request) {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (hit) {
        if (hit) { return hit; }
        return fetch(request).then(function (response) {
          if (response.ok) { cache.put(request, response.clone()); }
          return response;
        });
      });
    });
  }

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    if (request.method !== "GET") { return; }
    var url = new URL(request.url);
    if (url.origin !== self.location.origin) { return; }
    if (request.mode === "navigate") {
      event.respondWith(fromNetworkThenCache(request, url));
    } else if (url.pathname.indexOf("/static/") === 0 && url.searchParams.has("v")) {
      event.respondWith(fromCacheThenNetwork(request));
    }
    // Everything else (API reads, photos, tiles) goes to the network untouched.
  });

  self.addEventListener("sync", function (event) {
    if (event.tag === CityReportQueue.SYNC_TAG) {
      event.waitUntil(CityReportQueue.flush().then(function (results) {
        return self.clients.matchAll({ type: "window" }).then(function (clients) {
          clients.forEach(function (client) { client.postMessage({ type: "cityreport-queue", results: results }); });
          // Still offline: failing the event makes the browser fire it again later.
          if (results.some(function (r) { return r.state === "retry"; })) { throw new Error("will retry"); }
        });
      }));
    }
  });
})();
