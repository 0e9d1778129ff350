/* Shared map setup for CityReport pages: vendored Leaflet, and tiles from MAP_TILE_URL when configured.
   Without MAP_TILE_URL the map draws the city's own basemap (streets, names, parks, water, buildings) from
   CityReport's vector tiles (static/js/basemap.js): no request leaves the site. Without either (offline)
   it still shows the city outline, the pin and the markers. */
(function () {
  "use strict";

  function readConfig(el) {
    try { return JSON.parse(el.getAttribute("data-map") || "{}"); } catch (e) { return {}; }
  }

  var BASEMAP_URL = "/api/v1/basemap";

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.async = false; // run in the order given: the renderer before the style that uses it
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  // The basemap's description names its tile URL (with the register's version) and its scripts (with
  // their content hashes), so all of them can be cached for good.
  function addBasemap(map, el, url) {
    if (!window.fetch || !window.Promise) { return; }
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error(String(r.status))); })
      .then(function (meta) {
        return Promise.all(meta.scripts.map(loadScript)).then(function () {
          if (window.CityReportBasemap && window.CityReportBasemap.addTo(map, meta)) { el.classList.remove("no-tiles"); }
        });
      })
      .catch(function () { /* offline or no register: the outline, pin and markers still work */ });
  }

  function createMap(el) {
    if (!window.L) { return null; }
    var config = readConfig(el);
    var map = L.map(el, { zoomControl: true, attributionControl: true });
    if (config.tiles) {
      L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.attribution || "&copy; OpenStreetMap" }).addTo(map);
    } else {
      el.classList.add("no-tiles");
      addBasemap(map, el, config.basemap_url || BASEMAP_URL);
    }
    if (config.bounds) {
      map.fitBounds(config.bounds);
    } else {
      map.setView([45.9432, 24.9668], 6); // Romania, when no city is configured yet
    }
    if (config.areas_url && window.fetch) {
      fetch(config.areas_url, { headers: { Accept: "application/geo+json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          var outline = data.features.filter(function (f) { return f.properties.kind === "jurisdiction"; });
          L.geoJSON({ type: "FeatureCollection", features: outline }, {
            interactive: false, style: { color: "#0b5394", weight: 2, fill: false }
          }).addTo(map);
        })
        .catch(function () { /* the outline is a nicety; the map works without it */ });
    }
    return map;
  }

  function escapeHtml(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function addReportMarkers(map, reports, fit) {
    var layer = L.featureGroup();
    reports.forEach(function (r) {
      var marker = L.circleMarker([r.lat, r.lon], {
        radius: 7, weight: 2, color: r.open ? "#a11d1d" : "#1e6b2e", fillOpacity: 0.7
      });
      marker.bindPopup('<a href="' + escapeHtml(r.page_url || r.public_url) + '">#' + r.id + " " +
        escapeHtml(r.category.name) + "</a><br>" + escapeHtml(r.status_label));
      layer.addLayer(marker);
    });
    layer.addTo(map);
    if (fit && reports.length) { map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 16 }); }
    return layer;
  }

  window.CityReportMap = { create: createMap, addReportMarkers: addReportMarkers, escapeHtml: escapeHtml,
                           addBasemap: addBasemap };

  // Pages that only show markers: <div class="map" data-map=... data-reports=...>.
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".map[data-reports]"), function (el) {
      var map = createMap(el);
      if (!map) { return; }
      var reports = [];
      try { reports = JSON.parse(el.getAttribute("data-reports") || "[]"); } catch (e) { reports = []; }
      addReportMarkers(map, reports, el.hasAttribute("data-fit"));
    });
  });
})();
