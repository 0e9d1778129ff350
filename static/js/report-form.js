/* The report form: pin and coordinates kept in step, "use my location", nearby open reports of the
   same category, and photos downscaled on the phone before upload. Without this script the form is a
   plain HTML form that still works: coordinates are typed and photos go up as they are. */
(function () {
  "use strict";
  var MAX_SIDE = 1600;
  var QUALITY = 0.82;

  function $(id) { return document.getElementById(id); }

  function parseCoord(value) {
    var n = parseFloat(String(value || "").replace(",", "."));
    return isFinite(n) ? n : null;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = $("report-form");
    if (!form) { return; }
    // A page sent back with errors: move the focus to their summary, so it is read out first.
    var summary = $("error-summary");
    if (summary) { summary.focus(); }
    var latInput = $("lat"), lonInput = $("lon"), category = $("category");
    var status = $("location-status");
    var mapEl = $("report-map");
    var map = window.CityReportMap ? window.CityReportMap.create(mapEl) : null;
    var marker = null;

    function setStatus(text) { if (status) { status.textContent = text; } }

    function placePin(lat, lon, pan) {
      if (!map) { return; }
      if (!marker) {
        marker = L.marker([lat, lon], { draggable: true, keyboard: true, title: form.dataset.pinTitle || "" });
        marker.on("dragend", function () {
          var p = marker.getLatLng();
          writeInputs(p.lat, p.lng);
        });
        marker.addTo(map);
      } else {
        marker.setLatLng([lat, lon]);
      }
      if (pan) { map.setView([lat, lon], Math.max(map.getZoom(), 16)); }
    }

    function writeInputs(lat, lon) {
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
      setStatus(form.dataset.pinPlaced || "");
      refreshNearby();
    }

    if (map) {
      map.on("click", function (e) { placePin(e.latlng.lat, e.latlng.lng, false); writeInputs(e.latlng.lat, e.latlng.lng); });
      // Keyboard: Leaflet pans with the arrows and zooms with +/-; Enter puts the pin in the middle.
      mapEl.addEventListener("keydown", function (e) {
        if (e.key !== "Enter" || e.target !== mapEl) { return; }
        e.preventDefault();
        var c = map.getCenter();
        placePin(c.lat, c.lng, false);
        writeInputs(c.lat, c.lng);
      });
      var lat0 = parseCoord(latInput.value), lon0 = parseCoord(lonInput.value);
      if (lat0 !== null && lon0 !== null) { placePin(lat0, lon0, true); }
    }

    function fromInputs() {
      var lat = parseCoord(latInput.value), lon = parseCoord(lonInput.value);
      if (lat !== null && lon !== null) { placePin(lat, lon, true); refreshNearby(); }
    }
    latInput.addEventListener("change", fromInputs);
    lonInput.addEventListener("change", fromInputs);
    category.addEventListener("change", refreshNearby);

    var locate = $("use-location");
    if (locate) {
      if (!navigator.geolocation) {
        locate.hidden = true;
      } else {
        locate.hidden = false;
        locate.addEventListener("click", function () {
          setStatus(form.dataset.locating || "");
          navigator.geolocation.getCurrentPosition(function (pos) {
            placePin(pos.coords.latitude, pos.coords.longitude, true);
            writeInputs(pos.coords.latitude, pos.coords.longitude);
          }, function () {
            setStatus(form.dataset.locationFailed || "");
          }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
        });
      }
    }

    // ---- nearby open reports of the same category -------------------------------------------------
    var nearbyTimer = null;
    function refreshNearby() {
      clearTimeout(nearbyTimer);
      nearbyTimer = setTimeout(loadNearby, 300);
    }

    function loadNearby() {
      var box = $("nearby");
      var lat = parseCoord(latInput.value), lon = parseCoord(lonInput.value);
      if (!box || !category.value || lat === null || lon === null || !window.fetch) { return; }
      var url = form.dataset.nearbyUrl + "?" + new URLSearchParams({ lat: lat, lon: lon, category: category.value });
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { renderNearby(box, data.reports); } })
        .catch(function () { /* nearby reports are advice; submitting still works */ });
    }

    function renderNearby(box, reports) {
      var esc = window.CityReportMap ? window.CityReportMap.escapeHtml : function (t) { return t; };
      var list = box.querySelector("ul");
      list.innerHTML = "";
      reports.forEach(function (r) {
        var li = document.createElement("li");
        li.className = "nearby-item";
        var photo = r.photos.length ? '<img src="' + esc(r.photos[0].thumbnail_url) + '" alt="" loading="lazy">' : "";
        var page = r.public_url.replace(/^https?:\/\/[^/]+/, "");
        li.innerHTML = photo + '<div><p class="meta">#' + r.id + " · " + esc(r.status_label) + " · " +
          Math.round(r.distance_m) + " m</p><p>" + esc(r.description) + '</p><a class="button secondary" href="' +
          esc(page) + '#follow">' + esc(box.dataset.followLabel) + "</a></div>";
        list.appendChild(li);
      });
      box.hidden = reports.length === 0;
    }

    // ---- photos: downscale on the phone ---------------------------------------------------------
    var photos = $("photos");
    var photoNote = $("photos-note");
    var max = parseInt(photos.dataset.max || "5", 10);
    photos.addEventListener("change", function () {
      if (photos.files.length > max && photoNote) {
        photoNote.textContent = photos.dataset.tooMany;
      } else if (photoNote) {
        photoNote.textContent = "";
      }
    });

    function downscale(file) {
      return new Promise(function (resolve) {
        if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.HTMLCanvasElement) { resolve(file); return; }
        var url = URL.createObjectURL(file);
        var img = new Image();
        img.onload = function () {
          var scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
          var canvas = document.createElement("canvas");
          canvas.width = Math.round(img.naturalWidth * scale);
          canvas.height = Math.round(img.naturalHeight * scale);
          canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
          URL.revokeObjectURL(url);
          canvas.toBlob(function (blob) {
            if (!blob || blob.size >= file.size) { resolve(file); return; }
            resolve(new File([blob], file.name.replace(/\.[^.]+$/, "") + ".jpg", { type: "image/jpeg" }));
          }, "image/jpeg", QUALITY);
        };
        img.onerror = function () { URL.revokeObjectURL(url); resolve(file); }; // e.g. HEIC: the server converts it
        img.src = url;
      });
    }

    var sending = false;
    form.addEventListener("submit", function (event) {
      if (sending) { event.preventDefault(); return; }
      var files = Array.prototype.slice.call(photos.files || []);
      // Without coordinates the server reads the place from the photo's GPS, which a canvas copy would lose.
      var hasPlace = parseCoord(latInput.value) !== null && parseCoord(lonInput.value) !== null;
      // The offline queue (static/js/offline-queue.js) keeps the report on the phone if the network fails.
      var queue = window.CityReportQueue;
      var canQueue = !!(queue && queue.submit && window.fetch && window.FormData && window.indexedDB && window.Promise);
      var shrink = files.length && hasPlace && window.DataTransfer && window.Promise;
      if (!canQueue && !shrink) { sending = true; return; }
      event.preventDefault();
      sending = true;
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      (shrink ? Promise.all(files.map(downscale)) : Promise.resolve(files)).then(function (smaller) {
        try {
          if (shrink) {
            var transfer = new DataTransfer();
            smaller.forEach(function (f) { transfer.items.add(f); });
            photos.files = transfer.files;
          }
        } catch (e) { /* the browser refused; the originals go up */ }
        if (!canQueue) { form.submit(); return; }
        return queue.submit(form, smaller, function () { form.submit(); }).then(function () {
          sending = false;
          if (button) { button.disabled = false; }
        });
      });
    });
  });
})();
