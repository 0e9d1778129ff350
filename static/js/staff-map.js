// Maps of the staff pages, drawn with the vendored Leaflet: the queue's filtered reports
// (#queue-map, from its GeoJSON source) and one report's place (#report-map); tiles from MAP_TILE_URL,
// or else the city's own basemap.
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.async = false;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  // Without MAP_TILE_URL: the city's own basemap, as on the public pages (static/js/basemap.js).
  function cityBasemap(map) {
    fetch("/api/v1/basemap", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error(String(r.status))); })
      .then(function (meta) {
        return Promise.all(meta.scripts.map(loadScript)).then(function () { window.CityReportBasemap.addTo(map, meta); });
      })
      .catch(function () { /* the reports and areas are drawn all the same */ });
  }

  function baseMap(element) {
    var map = L.map(element, { keyboard: true });
    var tiles = element.getAttribute("data-tiles");
    if (tiles) { L.tileLayer(tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map); } else { cityBasemap(map); }
    return map;
  }

  var report = document.getElementById("report-map");
  if (report) {
    var lat = parseFloat(report.getAttribute("data-lat"));
    var lon = parseFloat(report.getAttribute("data-lon"));
    var one = baseMap(report).setView([lat, lon], 17);
    L.circleMarker([lat, lon], { radius: 9, color: "#0b5394", weight: 3 }).addTo(one);
  }

  var areas = document.getElementById("areas-map");
  var areasData = document.getElementById("areas-data");
  if (areas && areasData) {
    var areaMap = baseMap(areas).setView([46.77, 23.62], 12);
    var shapes = L.geoJSON(JSON.parse(areasData.textContent), {
      style: function (feature) {
        var city = feature.properties.kind === "jurisdiction";
        return { color: city ? "#444" : "#0b5394", weight: city ? 3 : 2, fillOpacity: city ? 0 : 0.15 };
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        layer.bindPopup(document.createTextNode(p.name + (p.department ? " · " + p.department : "") +
                                                (p.category ? " · " + p.category : "")));
      }
    }).addTo(areaMap);
    if (shapes.getLayers().length) { areaMap.fitBounds(shapes.getBounds()); }
  }

  var queue = document.getElementById("queue-map");
  if (queue) {
    var map = baseMap(queue).setView([46.77, 23.62], 12);
    var reportUrl = queue.getAttribute("data-report-url");
    var note = document.getElementById("map-note");
    fetch(queue.getAttribute("data-source"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          pointToLayer: function (feature, latlng) {
            var late = feature.properties.overdue;
            return L.circleMarker(latlng, { radius: 7, color: late ? "#a11d1d" : "#0b5394", weight: 2,
                                            fillOpacity: 0.6 });
          },
          onEachFeature: function (feature, marker) {
            var link = document.createElement("a");
            link.href = reportUrl.replace(/0$/, String(feature.properties.id));
            link.textContent = "#" + feature.properties.id + " " + feature.properties.excerpt;
            marker.bindPopup(link);
          }
        }).addTo(map);
        if (data.features.length) { map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [20, 20] }); }
        if (note) {
          note.textContent = data.truncated ? queue.getAttribute("data-truncated") : data.features.length + " ●";
        }
      });
  }
})();
