/* Shared map setup for CityReport pages: vendored Leaflet, tiles only when configured.
   Without tiles (no MAP_TILE_URL, or no internet) the map still shows the city outline, the pin and
   the markers, so a resident can place a report by dragging the pin or typing coordinates. */
(function () {
  "use strict";

  function readConfig(el) {
    try { return JSON.parse(el.getAttribute("data-map") || "{}"); } catch (e) { return {}; }
  }

  function createMap(el) {
    if (!window.L) { return null; }
    var config = readConfig(el);
    var map = L.map(el, { zoomControl: true, attributionControl: !!config.tiles });
    if (config.tiles) {
      L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.attribution || "&copy; OpenStreetMap" }).addTo(map);
    } else {
      el.classList.add("no-tiles");
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

  window.CityReportMap = { create: createMap, addReportMarkers: addReportMarkers, escapeHtml: escapeHtml };

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
