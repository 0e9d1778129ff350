/* Reports that survive a weak signal.

   A report is written to IndexedDB (its fields, its already-downscaled photos as Blobs, and a client
   idempotency key from crypto.randomUUID) BEFORE it is sent. It leaves the phone's store only when the
   server has answered for it: stored (201) or refused for good (4xx other than 408/429). Whatever else
   happens (offline, timeout, 5xx, rate limit) it stays, and is sent again on the `online` event, on
   every page load and from the service worker's Background Sync. Each attempt carries the same key, and
   the server stores one report per key, so a retry after a lost answer cannot file the report twice.

   Loaded by every page (window) and by the service worker (importScripts); the UI part runs only in a
   page. Exposes self.CityReportQueue. */
(function (root) {
  "use strict";
  var DB_NAME = "cityreport";
  var DB_VERSION = 1;
  var PENDING = "pending";
  var RECEIPTS = "receipts";
  var SYNC_TAG = "cityreport-send-reports";
  var FOREGROUND_TIMEOUT_MS = 45000;

  // ---- storage ----------------------------------------------------------------------------------
  var dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        if (!root.indexedDB) { reject(new Error("IndexedDB is not available")); return; }
        var request = root.indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = function () {
          var db = request.result;
          if (!db.objectStoreNames.contains(PENDING)) { db.createObjectStore(PENDING, { keyPath: "key" }); }
          if (!db.objectStoreNames.contains(RECEIPTS)) { db.createObjectStore(RECEIPTS, { keyPath: "key" }); }
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
      dbPromise.catch(function () { dbPromise = null; });
    }
    return dbPromise;
  }

  function withStore(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result;
        var request = work(tx.objectStore(name));
        if (request) { request.onsuccess = function () { result = request.result; }; }
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error || new Error("aborted")); };
      });
    });
  }

  function put(name, value) { return withStore(name, "readwrite", function (s) { return s.put(value); }); }
  function remove(name, key) { return withStore(name, "readwrite", function (s) { return s.delete(key); }); }
  function all(name) {
    return withStore(name, "readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.savedAt - b.savedAt; });
    });
  }

  function newKey() {
    if (root.crypto && root.crypto.randomUUID) { return root.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    root.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // ---- sending ----------------------------------------------------------------------------------
  function formData(entry, extra) {
    var body = new FormData();
    Object.keys(entry.fields).forEach(function (name) { body.append(name, entry.fields[name]); });
    Object.keys(extra || {}).forEach(function (name) { body.append(name, extra[name]); });
    body.append("idempotency_key", entry.key);
    entry.photos.forEach(function (p) { body.append("photos", p.blob, p.name); });
    return body;
  }

  function outcome(entry, response, data) {
    var error = (data && data.error) || {};
    if (response.ok) {
      return { key: entry.key, state: "sent", id: data && data.id, url: data && data.public_url };
    }
    if (response.status === 408 || response.status === 429 || response.status >= 500) {
      return { key: entry.key, state: "retry", status: response.status };
    }
    var fields = error.fields || {};
    var detail = Object.keys(fields).map(function (name) { return name + ": " + fields[name]; }).join("; ");
    return { key: entry.key, state: "rejected", status: response.status,
             message: [error.message, detail].filter(Boolean).join(" ") };
  }

  /* One attempt through the JSON API (no CSRF token needed, so a report saved hours ago still goes). */
  function send(entry) {
    return fetch(entry.endpoint, {
      method: "POST", body: formData(entry), credentials: "same-origin",
      headers: { "Accept": "application/json", "Accept-Language": entry.lang || "ro", "Idempotency-Key": entry.key }
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        return outcome(entry, response, data);
      });
    }, function () {
      return { key: entry.key, state: "retry", status: 0 };
    });
  }

  function settle(result) {
    if (result.state === "retry") { return Promise.resolve(result); }
    result.at = Date.now();
    return put(RECEIPTS, result).then(function () { return remove(PENDING, result.key); })
      .then(function () { return result; });
  }

  var running = null;
  function flushUnlocked() {
    return all(PENDING).then(function (entries) {
      var results = [];
      return entries.reduce(function (chain, entry) {
        return chain.then(function (stop) {
          if (stop) { return true; }
          return send(entry).then(settle).then(function (result) {
            results.push(result);
            return result.state === "retry";  // the network is still down: try the rest later
          });
        });
      }, Promise.resolve(false)).then(function () { return results; });
    });
  }

  /* Send every saved report, one at a time, one flush at a time across tabs and the service worker. */
  function flush() {
    if (running) { return running; }
    var locks = root.navigator && root.navigator.locks;
    running = (locks ? locks.request("cityreport-queue", flushUnlocked) : flushUnlocked())
      .catch(function () { return []; })
      .then(function (results) { running = null; return results; });
    return running;
  }

  function requestSync() {
    var sw = root.navigator && root.navigator.serviceWorker;
    if (!sw || !sw.ready) { return Promise.resolve(); }
    return sw.ready.then(function (registration) {
      return registration.sync ? registration.sync.register(SYNC_TAG) : null;
    }).catch(function () { /* no Background Sync: the page's `online` handler sends instead */ });
  }

  var api = { SYNC_TAG: SYNC_TAG, flush: flush, pending: function () { return all(PENDING); },
              receipts: function () { return all(RECEIPTS); }, newKey: newKey };
  root.CityReportQueue = api;

  if (typeof document === "undefined") { return; }

  // ---- the page ---------------------------------------------------------------------------------
  function statusBox() { return document.getElementById("queue-status"); }

  function say(html, kind) {
    var box = statusBox();
    if (!box) { return; }
    box.className = "queue-status " + (kind || "");
    box.innerHTML = html;
    box.hidden = !html;
  }

  function text(name, values) {
    var box = statusBox();
    var template = (box && box.dataset[name]) || "";
    // The page renders the sentences with {name} where the number goes (see base.html).
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values && key in values ? values[key] : ""; });
  }

  function escapeHtml(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  /* What the resident sees: reports still on the phone, and what happened to those that left it. */
  function render() {
    return Promise.all([all(PENDING), all(RECEIPTS)]).then(function (lists) {
      var pending = lists[0], receipts = lists[1];
      var parts = [];
      receipts.forEach(function (r) {
        if (r.state === "sent") {
          var link = r.url ? r.url.replace(/^https?:\/\/[^/]+/, "") : "";
          parts.push("<p>" + escapeHtml(text("sent", { number: r.id })) +
                     (link ? ' <a href="' + escapeHtml(link) + '">' + escapeHtml(text("view")) + "</a>" : "") + "</p>");
        } else {
          parts.push("<p>" + escapeHtml(text("rejected")) + " " + escapeHtml(r.message || "") + "</p>");
        }
      });
      if (pending.length) {
        parts.push("<p><strong>" + escapeHtml(text(pending.length === 1 ? "savedOne" : "savedMany",
                                                   { count: pending.length })) + "</strong></p>");
      }
      var anyRejected = receipts.some(function (r) { return r.state !== "sent"; });
      var box = statusBox();
      var showing = box && !box.hidden ? box.className : "";
      // Nothing new: an earlier "sent" message stays; a "saved"/"sending" one is out of date.
      if (parts.length || /saved|sending/.test(showing)) {
        say(parts.join(""), pending.length ? "saved" : (anyRejected ? "rejected" : "sent"));
      }
      // A receipt is shown once; the report page it links to is the lasting record.
      return Promise.all(receipts.map(function (r) { return remove(RECEIPTS, r.key); }));
    }).catch(function () { /* no IndexedDB (private mode): nothing was saved, nothing to show */ });
  }

  function flushAndRender() {
    var pending = root.navigator.onLine === false ? Promise.resolve() : flush();
    return pending.then(render);
  }

  function entryFromForm(form, files, key) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === "file" || el.type === "submit" || el.type === "button") { return; }
      if (el.name === "csrf_token" || el.name === "idempotency_key") { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      fields[el.name] = el.value;
    });
    return {
      key: key, savedAt: Date.now(), endpoint: form.dataset.queueUrl, lang: document.documentElement.lang,
      fields: fields,
      photos: files.map(function (f) { return { name: f.name || "photo.jpg", type: f.type, blob: f }; })
    };
  }

  function timeoutSignal(ms) {
    if (!root.AbortController) { return undefined; }
    var controller = new AbortController();
    setTimeout(function () { controller.abort(); }, ms);
    return controller.signal;
  }

  function savedOffline(form) {
    form.reset();
    form.elements.idempotency_key.value = "";
    requestSync();
    return render().then(function () {
      var box = statusBox();
      if (box) { box.focus(); box.scrollIntoView({ block: "center" }); }
    });
  }

  function showPage(html, url) {
    root.history.replaceState(null, "", url);
    document.open();
    document.write(html);
    document.close();
  }

  /* Submit the report form. `files` are the (already downscaled) photos. Resolves once the page has
     moved on to the new report, fallen back to a normal submission, or saved the report for later. */
  function submit(form, files, nativeSubmit) {
    var key = newKey();
    form.elements.idempotency_key.value = key;
    var entry = entryFromForm(form, files, key);
    return put(PENDING, entry).then(function () {
      var body = formData(entry, { csrf_token: form.elements.csrf_token ? form.elements.csrf_token.value : "" });
      say("<p>" + escapeHtml(text("sending")) + "</p>", "sending");
      return fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
                                  signal: timeoutSignal(FOREGROUND_TIMEOUT_MS) })
        .then(function (response) {
          if (response.ok && response.redirected) {
            // The report page came back with the server's "thank you" message, which was shown once and
            // is gone from the session: show this very page rather than ask for it again.
            return remove(PENDING, key).then(function () { return response.text(); }).then(function (html) {
              showPage(html, response.url);
            });
          }
          if (response.status === 422 || response.status === 413) {
            // The server has a question about a field: it stored nothing. Let the form show it.
            return remove(PENDING, key).then(function () { say(""); nativeSubmit(); });
          }
          // A stale CSRF token, a rate limit, a server fault: the API path takes over now or later.
          return flush().then(function (results) {
            var mine = results.filter(function (r) { return r.key === key; })[0];
            if (mine && mine.state === "sent" && mine.url) {
              return remove(RECEIPTS, key).then(function () {
                root.location.assign(mine.url.replace(/^https?:\/\/[^/]+/, ""));
              });
            }
            return savedOffline(form);
          });
        }, function () {
          return savedOffline(form);
        });
    }, function () {
      nativeSubmit();  // no IndexedDB here: an ordinary submission is the best we can do
    });
  }

  api.submit = submit;
  api.render = render;

  function start() {
    if ("serviceWorker" in root.navigator) {
      var sw = document.documentElement.dataset.serviceWorker;
      if (sw) {
        root.navigator.serviceWorker.register(sw, { scope: "/" }).catch(function () { /* the site still works */ });
      }
      root.navigator.serviceWorker.addEventListener("message", function (event) {
        if (event.data && event.data.type === "cityreport-queue") { render(); }
      });
    }
    root.addEventListener("online", flushAndRender);
    flushAndRender();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})(self);
