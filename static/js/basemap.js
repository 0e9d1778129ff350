/* The city's own basemap: CityReport's vector tiles (/tiles/{z}/{x}/{y}.pbf, cut by PostGIS) drawn in
   Leaflet by the vendored protomaps-leaflet. Loaded by map.js and staff-map.js when no MAP_TILE_URL is
   configured, with the description from /api/v1/basemap: {tiles, max_data_zoom, layers, attribution}.
   Nothing here asks a third party for anything. Layer names and zooms: docs/places.md. */
(function () {
  "use strict";

  // Zoom levels here are the map's (display) zooms; each tile serves the zoom above its own.
  var COLOURS = {
    land: "#f2efe9", water: "#a9cfe0", waterText: "#2b5f7a", park: "#cfe8b8", parkText: "#35652a",
    building: "#ddd3ca", buildingLine: "#c8b9ac", casing: "#c2b8aa", street: "#ffffff", major: "#fbd7a5",
    majorCasing: "#d2a266", path: "#a98b72", boundary: "#7b6fb0", text: "#2e2a26", halo: "#ffffff",
    number: "#7a6a5c"
  };

  function grow(base, from, floor) {
    // Lines widen with the zoom as real streets do on the screen: doubling every level, within bounds.
    return function (z) { return Math.max(floor || 0.6, Math.min(base * Math.pow(2, z - from), base * 12)); };
  }

  function isClass(name) {
    return function (z, f) { return f.props["class"] === name; };
  }

  function rules(L_, has) {
    var P = L_;
    var paint = [];
    if (has.water) {
      paint.push({ dataLayer: "water", symbolizer: new P.PolygonSymbolizer({ fill: COLOURS.water }) });
      paint.push({ dataLayer: "water", symbolizer: new P.LineSymbolizer({ color: COLOURS.water, width: grow(2, 13) }) });
    }
    if (has.park) {
      paint.push({ dataLayer: "park", symbolizer: new P.PolygonSymbolizer({ fill: COLOURS.park }) });
    }
    if (has.building) {
      paint.push({ dataLayer: "building", minzoom: 16, symbolizer: new P.PolygonSymbolizer({
        fill: COLOURS.building, stroke: COLOURS.buildingLine, width: 0.5 }) });
    }
    paint.push({ dataLayer: "boundary", symbolizer: new P.LineSymbolizer({
      color: COLOURS.boundary, width: 2, dash: [6, 4], opacity: 0.7 }) });
    if (has.road) {
      paint.push({ dataLayer: "road", symbolizer: new P.LineSymbolizer({ color: COLOURS.street, width: grow(1.2, 15) }) });
    }
    if (has.streets) {
      paint.push({ dataLayer: "streets", filter: isClass("path"), symbolizer: new P.LineSymbolizer({
        color: COLOURS.path, width: 1.2, dash: [3, 2] }) });
      paint.push({ dataLayer: "streets", filter: isClass("minor"), symbolizer: new P.LineSymbolizer({
        color: COLOURS.casing, width: grow(3, 15) }) });
      paint.push({ dataLayer: "streets", filter: isClass("major"), symbolizer: new P.LineSymbolizer({
        color: COLOURS.majorCasing, width: grow(4.5, 15, 2) }) });
      // Below street zoom a minor street is only its grey casing: a thin white line would vanish on the land.
      paint.push({ dataLayer: "streets", minzoom: 14, filter: isClass("minor"), symbolizer: new P.LineSymbolizer({
        color: COLOURS.street, width: grow(2.2, 15) }) });
      paint.push({ dataLayer: "streets", filter: isClass("major"), symbolizer: new P.LineSymbolizer({
        color: COLOURS.major, width: grow(3.5, 15, 1.2) }) });
    }
    var labels = [];
    if (has.streets) {
      labels.push({ dataLayer: "streets", minzoom: 15, symbolizer: new P.LineLabelSymbolizer({
        labelProps: ["name"], fill: COLOURS.text, stroke: COLOURS.halo, width: 3, maxLabelChars: 60,
        font: function (z) { return "600 " + (z >= 17 ? 13 : 12) + "px sans-serif"; } }) });
    }
    if (has.park) {
      labels.push({ dataLayer: "park", minzoom: 14, symbolizer: new P.CenteredTextSymbolizer({
        labelProps: ["name"], fill: COLOURS.parkText, stroke: COLOURS.halo, width: 2, font: "italic 12px sans-serif" }) });
    }
    if (has.water) {
      labels.push({ dataLayer: "water", minzoom: 13, symbolizer: new P.CenteredTextSymbolizer({
        labelProps: ["name"], fill: COLOURS.waterText, stroke: COLOURS.halo, width: 2, font: "italic 12px sans-serif" }) });
    }
    if (has.housenumbers) {
      labels.push({ dataLayer: "housenumbers", minzoom: 18, symbolizer: new P.CenteredTextSymbolizer({
        labelProps: ["n"], fill: COLOURS.number, stroke: COLOURS.halo, width: 2, font: "10px sans-serif" }) });
    }
    return { paint: paint, labels: labels };
  }

  function addTo(map, meta) {
    var P = window.protomapsL;
    if (!P || !meta || !meta.tiles) { return null; }
    var has = {};
    (meta.layers || []).forEach(function (name) { has[name] = true; });
    var style = rules(P, has);
    var layer = P.leafletLayer({
      url: meta.tiles, maxDataZoom: meta.max_data_zoom, maxZoom: 19, paintRules: style.paint,
      labelRules: style.labels, backgroundColor: COLOURS.land, attribution: meta.attribution || ""
    });
    layer.addTo(map);
    return layer;
  }

  window.CityReportBasemap = { addTo: addTo };
})();
