/* geo_service maps: styles, popups, search, measuring and printing.
   Served by the service itself; no eval, no inline handlers (the pages' CSP forbids them).
   Embedded feature properties arrive already HTML-escaped by the server; properties read from
   vector tiles are raw and escaped here (GS.esc) before they reach the DOM. */
(function () {
  'use strict';
  var GS = (window.GS = window.GS || {});
  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };
  GS.esc = function (s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return ESC[c];
    });
  };
  GS.index = {};
  // options reach the page HTML-escaped; a URL taken from them is unescaped before use
  GS.unesc = function (s) {
    return new DOMParser().parseFromString(String(s || ''), 'text/html').documentElement.textContent;
  };

  function val(v, raw) {
    if (v === null || v === undefined || v === '') return '—';
    return raw ? GS.esc(v) : String(v);
  }

  GS.style = function (spec, props) {
    var st = L.Util.extend({}, spec.base || {});
    if (spec.by && spec.values) {
      var v = spec.values[String(props[spec.by])];
      if (v) L.Util.extend(st, v);
    }
    (spec.flags || []).forEach(function (fl) {
      if (props[fl.prop] === fl.equals) L.Util.extend(st, fl.style);
    });
    if (spec.className) st.className = spec.className;
    return st;
  };

  GS.radius = function (spec, props) {
    var v = Number(props[spec.prop]) || 0;
    var r = spec.min + (spec.max - spec.min) * Math.sqrt(Math.max(v, 0) / (spec.top || 1));
    return Math.max(spec.min, Math.min(spec.max, r));
  };

  GS.popupHtml = function (spec, p, raw) {
    var h = '<div class="gs-popup">';
    if (spec.title) h += '<h4>' + val(p[spec.title], raw) + '</h4>';
    h += '<table>';
    (spec.rows || []).forEach(function (r) {
      var key = r[0], label = r[1], kind = r[2] || 'text', v = p[key];
      if (kind === 'conditions') {
        h += '<tr><th colspan="2">' + label + '</th></tr>';
        (v || []).forEach(function (c) {
          var lines = Array.isArray(c[4]) ? c[4].map(function (x) { return val(x, raw); }) : [val(c[4], raw)];
          h += '<tr class="gs-cond gs-st-' + GS.esc(c[1]) + '"><th>' + val(c[0], raw) +
            '</th><td><b>' + val(c[2], raw) + '</b> · ' + val(c[3], raw) +
            '<ul class="gs-why"><li>' + lines.join('</li><li>') + '</li></ul><small>' +
            val(c[5], raw) + '</small></td></tr>';
        });
      } else if (kind === 'list') {
        var items = (v || []).map(function (x) { return val(x, raw); });
        h += '<tr><th>' + label + '</th><td>' + (items.length ? items.join('<br>') : '—') +
          '</td></tr>';
      } else {
        h += '<tr><th>' + label + '</th><td>' + val(v, raw) + '</td></tr>';
      }
    });
    h += '</table>';
    if (spec.link) {
      var href = raw ? encodeURIComponent(String(p[spec.link.key])) : p[spec.link.key];
      // keepQuery: the page's own query (filters, fit check, county, language) goes along, so
      // the sheet shows the fit result and its back link returns to the map as it was
      var query = spec.link.keepQuery ? new URLSearchParams(window.location.search).toString() : '';
      var tail = query ? '?' + query : (spec.link.suffix || '');
      var keep = spec.link.keepQuery ? ' gs-keep-view' : '';
      if (href) h += '<a class="gs-sheet-link' + keep + '" href="' + spec.link.base + href + tail + '">' + spec.link.label + '</a>';
    }
    return h + '</div>';
  };

  GS.geojson = function (data, spec) {
    var labels = spec.labels ? [] : null;
    var opts = {
      interactive: spec.interactive !== false,
      style: function (f) { return GS.style(spec.style || {}, f.properties); },
      pointToLayer: function (f, ll) {
        var st = GS.style(spec.style || {}, f.properties);
        if (spec.radius) st.radius = GS.radius(spec.radius, f.properties);
        return L.circleMarker(ll, st);
      },
      onEachFeature: function (f, layer) {
        if (spec.popup) {
          layer.bindPopup(function () { return GS.popupHtml(spec.popup, f.properties, false); },
            { maxWidth: 440, maxHeight: 360, autoPanPaddingTopLeft: [60, 130] });
        }
        if (spec.tooltip) layer.bindTooltip(val(f.properties[spec.tooltip], false), { sticky: true });
        if (spec.searchable) GS.index[String(f.properties.code)] = layer;
        if (labels && f.properties[spec.labels]) labels.push([layer, val(f.properties[spec.labels], false)]);
      }
    };
    if (spec.filter) {
      opts.filter = function (f) {
        var v = f.properties[spec.filter.prop];
        return Array.isArray(v) ? v.indexOf(spec.filter.value) >= 0 : v === spec.filter.value;
      };
    }
    var gj = L.geoJSON(data, opts);
    gj.on('add', function () { GS.map = GS.map || gj._map; });  // pages without controls too
    if (labels) {
      // permanent labels of their own (the hover tooltip stays): shown in print and on the wall
      // layout, hidden on screen otherwise (CSS .gs-label)
      var group = L.layerGroup(), shown = [];
      // on screen a shown label waits until its shape is wider than the label: zoomed out,
      // the labels of neighbouring zones would lie on top of each other (print keeps them all)
      var fit = function () {
        var map = gj._map;
        if (!map) return;
        shown.forEach(function (x) {
          var el = x[1].getElement();
          if (!el || !x[0].getBounds) return;
          var b = x[0].getBounds();
          var w = map.latLngToLayerPoint(b.getNorthEast()).x - map.latLngToLayerPoint(b.getSouthWest()).x;
          el.classList.toggle('gs-label-small', w < el.offsetWidth + 8);
        });
      };
      gj.on('add', function () {
        labels.forEach(function (x) {
          var at = x[0].getBounds ? x[0].getBounds().getCenter() : x[0].getLatLng();
          var tip = L.tooltip({ permanent: true, direction: 'center', interactive: false,
            className: spec.labelsOn ? 'gs-label gs-label-on' : 'gs-label' }).setLatLng(at).setContent(x[1]);
          group.addLayer(tip);
          if (spec.labelsOn) shown.push([x[0], tip]);
        });
        group.addTo(gj._map);
        gj._map.on('zoomend', fit);
        fit();
      });
      gj.on('remove', function (e) {
        if (e.target._map) e.target._map.off('zoomend', fit);
        group.clearLayers(); group.remove(); shown = [];
      });
    }
    return gj;
  };

  GS.vectorOptions = function (spec, layerName) {
    var styles = {};
    // fit check in tile mode: the server sends the fitting plots' codes (HTML-escaped, like the
    // search index), never the plots; a tile's raw code is escaped the same way to compare
    var fitSet = null;
    if (Array.isArray(spec.fitCodes)) {
      fitSet = Object.create(null);
      spec.fitCodes.forEach(function (c) { fitSet[c] = true; });
    }
    styles[layerName] = function (props) {
      var p = props;
      if (fitSet) p = L.Util.extend({}, props, { fit: fitSet[GS.esc(props.code)] === true });
      var st = GS.style(spec.style || {}, p);
      st.fill = true;
      return st;
    };
    var opts = {
      vectorTileLayerStyles: styles,
      interactive: true,
      rendererFactory: L.svg.tile,
      maxNativeZoom: 20,
      getFeatureId: function (f) { return f.properties.code; }
    };
    // the extent of every parcel the page may show: tiles wholly outside hold none, never asked
    if (Array.isArray(spec.bounds)) {
      opts.bounds = L.latLngBounds(spec.bounds).pad(0.01);
      GS.vectorBounds = GS.vectorBounds || spec.bounds;  // the first view's extent (fitAll)
    }
    return opts;
  };

  // a popup whose full content the server gives (tile mode): {properties: escaped fields}
  GS.openDetail = function (map, detail, popup, code, latlng) {
    fetch(GS.unesc(detail.url) + encodeURIComponent(code) + GS.unesc(detail.suffix), { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (d) {
        var ll = latlng || (Array.isArray(d.point) ? [Number(d.point[1]), Number(d.point[0])] : null);
        if (!ll) return;
        L.popup({ maxWidth: 440, maxHeight: 380, autoPanPaddingTopLeft: [60, 130] }).setLatLng(ll)
          .setContent(GS.popupHtml(popup, d.properties, false)).openOn(map);
      })
      .catch(function () {});
  };

  GS.bindVectorPopups = function (layer, spec) {
    layer.on('click', function (e) {
      if (!layer._map || !e.layer || !e.layer.properties) return;
      if (spec.popup.detail) {
        GS.openDetail(layer._map, spec.popup.detail, spec.popup, e.layer.properties.code, e.latlng);
        return;
      }
      L.popup({ maxWidth: 440 }).setLatLng(e.latlng)
        .setContent(GS.popupHtml(spec.popup, e.layer.properties, true)).openOn(layer._map);
    });
  };

  // zoom to one found record and open its popup: from the page's own layers when it has them,
  // else from the server (tile mode)
  GS.show = function (map, opts, hit) {
    var code = String(hit.code);
    var layer = GS.index[code];  // codes in the index are HTML-escaped, like the hits
    if (layer) {
      map.fitBounds(layer.getBounds ? layer.getBounds() : L.latLngBounds([layer.getLatLng()]),
        { maxZoom: 17, animate: false });  // settle first, so the popup pans into view
      if (layer.getPopup && layer.getPopup()) layer.openPopup();
      return true;
    }
    var raw = GS.unesc(code);
    if (Array.isArray(hit.bbox)) {
      var b = hit.bbox.map(Number);
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { maxZoom: 17, animate: false });
    } else if (Array.isArray(hit.point)) {
      map.setView([Number(hit.point[1]), Number(hit.point[0])], 16, { animate: false });
    }
    if (opts.detail && opts.popup) {
      var ll = Array.isArray(hit.point) ? [Number(hit.point[1]), Number(hit.point[0])] : null;
      var sfx = opts.detailSuffix !== undefined ? opts.detailSuffix : GS.unesc(opts.suffix).replace('&', '?');
      GS.openDetail(map, { url: opts.detail, suffix: sfx },
        opts.popup, raw, ll);
    }
    return true;
  };

  GS.addSearch = function (map, opts) {
    GS.map = map;
    GS.searchOpts = opts;
    var Ctl = L.Control.extend({
      options: { position: 'topleft' },
      onAdd: function () {
        var div = L.DomUtil.create('div', 'leaflet-bar gs-search');
        var input = L.DomUtil.create('input', '', div);
        input.type = 'search';
        input.placeholder = opts.placeholder;
        input.setAttribute('aria-label', opts.placeholder);
        var msg = L.DomUtil.create('span', 'gs-search-msg', div);
        var list = L.DomUtil.create('ul', 'gs-search-hits', div);
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        function choose(hit) { list.innerHTML = ''; GS.show(map, opts, hit); }
        L.DomEvent.on(input, 'keydown', function (e) {
          if (e.key !== 'Enter') return;
          var q = input.value.trim();
          msg.textContent = '';
          list.innerHTML = '';
          if (!q) return;
          if (GS.index[GS.esc(q)]) { choose({ code: GS.esc(q) }); return; }
          if (!opts.url) { msg.textContent = opts.notFound; return; }
          fetch(GS.unesc(opts.url) + encodeURIComponent(q) + GS.unesc(opts.suffix), { credentials: 'same-origin' })
            .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
            .then(function (res) {
              var hits = res.hits || [];
              if (!hits.length) { map.closePopup(); msg.textContent = opts.notFound; return; }
              if (hits.length === 1) { choose(hits[0]); return; }
              hits.forEach(function (h) {  // hits arrive HTML-escaped by the server
                var li = L.DomUtil.create('li', '', list);
                var a = L.DomUtil.create('a', '', li);
                a.href = '#';
                a.innerHTML = '<b style="white-space:nowrap">' + h.code + '</b> ' + (h.name || '') + (h.problem ? ' · ' + h.problem : '');
                L.DomEvent.on(a, 'click', function (ev) { L.DomEvent.stop(ev); choose(h); });
              });
            })
            .catch(function () { msg.textContent = opts.notFound; });
        });
        return div;
      }
    });
    new Ctl().addTo(map);
  };

  GS.area = function (pts) {
    var R = 6378137, d2r = Math.PI / 180, a = 0, n = pts.length;
    for (var i = 0; i < n; i++) {
      var p1 = pts[i], p2 = pts[(i + 1) % n];
      a += (p2.lng - p1.lng) * d2r * (2 + Math.sin(p1.lat * d2r) + Math.sin(p2.lat * d2r));
    }
    return Math.abs((a * R * R) / 2);
  };

  GS.measureText = function (pts) {
    var d = 0;
    for (var i = 1; i < pts.length; i++) d += pts[i - 1].distanceTo(pts[i]);
    var s = Math.round(d) + ' m';
    if (pts.length > 2) {
      var a = GS.area(pts);
      s += ' · ' + (a / (10000 / 15)).toFixed(2) + ' 亩 (' + Math.round(a) + ' m²)';
    }
    return s;
  };

  GS.addMeasure = function (map, opts) {
    GS.map = map;
    var Ctl = L.Control.extend({
      options: { position: 'topleft' },
      onAdd: function () {
        var div = L.DomUtil.create('div', 'leaflet-bar gs-measure');
        var a = L.DomUtil.create('a', '', div);
        a.href = '#';
        a.title = opts.label;
        a.setAttribute('role', 'button');
        a.textContent = '\u2194';
        var out = L.DomUtil.create('span', 'gs-measure-out', div);
        var active = false, pts = [], line = null;
        function reset() {
          pts = [];
          if (line) { map.removeLayer(line); line = null; }
          out.textContent = '';
        }
        function onClick(e) {
          pts.push(e.latlng);
          if (!line) line = L.polyline(pts, { color: '#e31a1c', dashArray: '4 4', interactive: false }).addTo(map);
          else line.setLatLngs(pts);
          out.textContent = GS.measureText(pts);
        }
        L.DomEvent.on(a, 'click', function (e) {
          L.DomEvent.stop(e);
          active = !active;
          if (active) { L.DomUtil.addClass(div, 'gs-active'); map.on('click', onClick); }
          else { L.DomUtil.removeClass(div, 'gs-active'); map.off('click', onClick); }
          reset();
        });
        L.DomEvent.disableClickPropagation(div);
        return div;
      }
    });
    new Ctl().addTo(map);
  };

  // a filter form sends only what was chosen: an empty box or 全部 is no filter at all
  function bindForms() {
    document.querySelectorAll('form[data-gs-filters]').forEach(function (form) {
      form.addEventListener('submit', function () {
        form.querySelectorAll('input, select').forEach(function (el) {
          if (el.name && String(el.value).trim() === '') el.disabled = true;
        });
        setTimeout(function () {  // back-button safety: the boxes stay usable
          form.querySelectorAll('input, select').forEach(function (el) { el.disabled = false; });
        }, 0);
      });
    });
  }

  // the county switcher (maps/county_panel.py): a new county clears the names of the old one
  // (zone, leader, unit, round); a row of the city overview switches to its county
  function bindCounties() {
    document.querySelectorAll('form[data-gs-filters] select[name=county]').forEach(function (sel) {
      sel.addEventListener('change', function () {
        ['zone', 'leader', 'unit', 'round', 'round_list'].forEach(function (n) {
          var el = sel.form.elements[n];
          if (el) el.value = '';
        });
      });
    });
    document.querySelectorAll('[data-gs-counties] tr[data-gs-href]').forEach(function (tr) {
      tr.addEventListener('click', function () { window.location.href = tr.getAttribute('data-gs-href'); });
    });
  }

  // the list beside the map: a click shows the record; the CSV button saves the list
  function bindResults() {
    var box = document.querySelector('[data-gs-results]');
    if (!box) return;
    box.querySelectorAll('[data-gs-code]').forEach(function (tr) {
      tr.addEventListener('click', function () {
        if (!GS.map) return;
        var code = GS.esc(tr.getAttribute('data-gs-code'));
        if (GS.index[code]) { GS.show(GS.map, GS.searchOpts || {}, { code: code }); return; }
        var o = GS.searchOpts || {};
        if (!o.url) return;
        fetch(GS.unesc(o.url) + encodeURIComponent(tr.getAttribute('data-gs-code')) + GS.unesc(o.suffix), { credentials: 'same-origin' })
          .then(function (r) { return r.json(); })
          .then(function (res) {
            var hit = (res.hits || []).filter(function (h) { return h.code === code; })[0];
            if (hit) GS.show(GS.map, o, hit);
          }).catch(function () {});
      });
    });
    var btn = box.querySelector('[data-gs-csv]');
    if (btn) btn.addEventListener('click', function () {
      var rows = [];
      box.querySelectorAll('tr').forEach(function (tr) {
        var cells = [];
        tr.querySelectorAll('th, td').forEach(function (c) {
          var t = c.textContent.replace(/"/g, '""');
          if (/^[=+\-@]/.test(t)) t = "'" + t;  // no formulas in Excel
          cells.push('"' + t + '"');
        });
        rows.push(cells.join(','));
      });
      var blob = new Blob(['\ufeff' + rows.join('\r\n')], { type: 'text/csv;charset=utf-8' });
      var a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = btn.getAttribute('data-gs-csv');
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    });
  }

  // the view a person left, carried in the URL's fragment (#view=zoom/lat/lon): a sheet link
  // that keeps the query takes the map's view along at the click, the sheet's back link returns
  // it, and the map opens at it instead of fitting every record again; anything else is ignored
  GS.viewFromHash = function () {
    var m = /^#view=(\d{1,2})\/(-?\d{1,2}(?:\.\d+)?)\/(-?\d{1,3}(?:\.\d+)?)$/.exec(window.location.hash);
    if (!m) return null;
    var z = Number(m[1]), lat = Number(m[2]), lon = Number(m[3]);
    return z <= 22 && Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? { z: z, lat: lat, lon: lon } : null;
  };
  function bindViewLinks() {
    document.addEventListener('click', function (e) {
      var a = e.target.closest ? e.target.closest('a.gs-keep-view') : null;
      if (!a || !GS.map) return;
      var c = GS.map.getCenter();
      a.href = a.href.split('#')[0] + '#view=' + GS.map.getZoom() + '/' + c.lat.toFixed(6) + '/' +
        c.lng.toFixed(6);
    }, true);
    if (GS.viewFromHash()) {
      document.querySelectorAll('a[data-gs-back]').forEach(function (a) {
        a.href = a.href.split('#')[0] + window.location.hash;
      });
    }
  }

  // the plot sheet: its map sits where the sheet says, sized for one A4 page
  function placeSheetMap() {
    var slot = document.querySelector('[data-gs-map-slot]');
    var mapDiv = document.querySelector('.folium-map');
    if (!slot || !mapDiv) return;
    document.body.classList.add('gs-sheet-page');
    slot.insertBefore(mapDiv, slot.firstChild);
    if (!GS.map) return;
    GS.map.invalidateSize();
    var codes = Object.keys(GS.index);  // the plot itself: fit the view to it in its new box
    if (codes.length && GS.index[codes[0]].getBounds) {
      GS.map.fitBounds(GS.index[codes[0]].getBounds().pad(1.2), { maxZoom: 16, animate: false });
    }
  }

  // the map's view fitted to every record on it, in the map's present size
  function fitAll() {
    if (!GS.map) return;
    GS.map.invalidateSize();
    var b = null;
    // a page may name the records its first view fits ([data-gs-fit]: codes); else every one
    var fit = document.querySelector('[data-gs-fit]');
    var keys = Object.keys(GS.index);
    var only = fit ? keys.filter(function (k) { return fit.getAttribute('data-gs-fit').split(' ').indexOf(k) >= 0; }) : [];
    (only.length ? only : keys).forEach(function (k) {
      var l = GS.index[k];
      var lb = l.getBounds ? l.getBounds() : L.latLngBounds([l.getLatLng()]);
      // a copy: a polygon's getBounds() is its own bounds, which extend() would grow
      b = b ? b.extend(lb) : L.latLngBounds(lb.getSouthWest(), lb.getNorthEast());
    });
    if (!b && GS.vectorBounds) b = L.latLngBounds(GS.vectorBounds);  // tile mode: the extent
    if (!b || !b.isValid()) return;
    var size = GS.map.getSize();
    var wall = document.body.classList.contains('gs-wall');
    if (wall) {  // on the wall the list takes the right 45 % of the poster: fit the map beside it
      GS.map.fitBounds(b, { maxZoom: 17, paddingTopLeft: [40, 120],
        paddingBottomRight: [size.x * 0.45, 40], animate: false });
      return;
    }
    // on screen the panels stand in both corners of each side (title and search over the
    // overview and the result list on the left; filters over the legend on the right): fit
    // the records in the band between them, else (a narrow screen) above the result list
    var sides = GS.sidePanels(GS.map);
    if (sides.left + sides.right <= size.x - 240) {
      GS.map.fitBounds(b, { maxZoom: 17, paddingTopLeft: [sides.left + 12, sides.top + 24],
        paddingBottomRight: [sides.right + 12, 36], animate: false });
      return;
    }
    var list = document.querySelector('.gs-results');
    var bottom = list && list.offsetHeight ? Math.min(list.offsetHeight + 56, size.y * 0.45) : 40;
    GS.map.fitBounds(b, { maxZoom: 17, paddingTopLeft: [40, 120], paddingBottomRight: [40, bottom],
      animate: false });
  }

  // how far the panels and controls reach into the map from its left and its right edge (and,
  // for a wide strip along the top such as the projects' key figures, from its top)
  GS.sidePanels = function (map) {
    var box = map.getContainer().getBoundingClientRect(), left = 0, right = 0, top = 0;
    document.querySelectorAll('.gs-panel, .leaflet-control').forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (!r.width || !r.height || r.top > box.bottom || r.bottom < box.top) return;
      if (el.classList.contains('leaflet-control-attribution') ||
          el.classList.contains('leaflet-control-scale')) return;  // thin lines along the foot
      if (r.width > box.width * 0.45 && r.bottom < box.top + box.height / 3) {
        top = Math.max(top, r.bottom - box.top);
        return;
      }
      if (r.left + r.width / 2 < box.left + box.width / 2) left = Math.max(left, r.right - box.left);
      else right = Math.max(right, box.right - r.left);
    });
    return { left: left, right: right, top: top };
  };

  // the wall's project list must show every project: more columns and a smaller type until the
  // list fits its box (nothing is cut off silently; below 5 px it says so in the page)
  function fitWallList() {
    var box = document.querySelector('body.gs-wall .gs-results');
    var list = box && box.querySelector('.gs-compact');
    if (!list) return;
    var size = 9, cols = 4;
    var fits = function () { return box.scrollHeight <= box.clientHeight + 1; };
    while (!fits() && size > 5) {
      if (cols < 6) { cols += 1; } else { size -= 0.5; }
      list.style.columnCount = String(cols);
      box.style.fontSize = size + 'px';
    }
    box.setAttribute('data-gs-fits', fits() ? 'yes' : 'no');
  }

  document.addEventListener('DOMContentLoaded', function () {
    var wall = document.querySelector('[data-gs-wall]');
    var sheet = document.querySelector('[data-gs-map-slot]');  // the plot sheet fits its plot
    var view = sheet ? null : GS.viewFromHash();  // back from a plot sheet: the view left
    if (wall) {
      document.documentElement.classList.add('gs-wall-page');
      document.body.classList.add('gs-wall', 'gs-paper-' + wall.getAttribute('data-gs-wall'));
      fitAll();
      fitWallList();
    } else if (view && GS.map) {
      GS.map.setView([view.lat, view.lon], view.z, { animate: false });
    } else if (!sheet && (document.querySelector('.gs-results') || GS.vectorBounds)) {
      fitAll();
    }
    // a print from the browser is laid out on its paper: fit the records to it first
    window.addEventListener('beforeprint', function () {
      if (!sheet) fitAll();
    });
    bindForms();
    bindCounties();
    bindResults();
    bindViewLinks();
    placeSheetMap();
    document.querySelectorAll('[data-gs-print]').forEach(function (b) {
      b.addEventListener('click', function () { window.print(); });
    });
  });

  // a popup pans clear of the panels along the map's right edge (filters, legend, charts,
  // county overview), not only of the map's edge: on a laptop screen it opened under them
  GS.rightPanelsWidth = function (map) {
    return Math.min(GS.sidePanels(map).right, map.getSize().x / 2);
  };
  if (L.Popup && L.Popup.prototype._adjustPan) {
    var adjust = L.Popup.prototype._adjustPan;
    L.Popup.include({
      _adjustPan: function () {
        if (this._map && this.options.autoPan) {
          var right = GS.rightPanelsWidth(this._map) + 8;
          var br = this.options.autoPanPaddingBottomRight || [0, 0];
          this.options.autoPanPaddingBottomRight = [Math.max(right, 5), br[1] || 5];
        }
        return adjust.apply(this, arguments);
      }
    });
  }
})();
