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
          h += '<tr class="gs-cond gs-st-' + GS.esc(c[1]) + '"><th>' + val(c[0], raw) +
            '</th><td><b>' + val(c[2], raw) + '</b> · ' + val(c[3], raw) + '<br>' +
            val(c[4], raw) + '<br><small>' + val(c[5], raw) + '</small></td></tr>';
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
      if (href) h += '<a class="gs-sheet-link" href="' + spec.link.base + href + (spec.link.suffix || '') + '">' + spec.link.label + '</a>';
    }
    return h + '</div>';
  };

  GS.geojson = function (data, spec) {
    var opts = {
      style: function (f) { return GS.style(spec.style || {}, f.properties); },
      pointToLayer: function (f, ll) {
        var st = GS.style(spec.style || {}, f.properties);
        if (spec.radius) st.radius = GS.radius(spec.radius, f.properties);
        return L.circleMarker(ll, st);
      },
      onEachFeature: function (f, layer) {
        if (spec.popup) {
          layer.bindPopup(function () { return GS.popupHtml(spec.popup, f.properties, false); },
            { maxWidth: 440, maxHeight: 360 });
        }
        if (spec.tooltip) layer.bindTooltip(val(f.properties[spec.tooltip], false), { sticky: true });
        if (spec.searchable) GS.index[String(f.properties.code)] = layer;
      }
    };
    if (spec.filter) {
      opts.filter = function (f) {
        var v = f.properties[spec.filter.prop];
        return Array.isArray(v) ? v.indexOf(spec.filter.value) >= 0 : v === spec.filter.value;
      };
    }
    return L.geoJSON(data, opts);
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
    return {
      vectorTileLayerStyles: styles,
      interactive: true,
      rendererFactory: L.svg.tile,
      maxNativeZoom: 20,
      getFeatureId: function (f) { return f.properties.code; }
    };
  };

  GS.bindVectorPopups = function (layer, spec) {
    layer.on('click', function (e) {
      if (!layer._map || !e.layer || !e.layer.properties) return;
      L.popup({ maxWidth: 440 }).setLatLng(e.latlng)
        .setContent(GS.popupHtml(spec.popup, e.layer.properties, true)).openOn(layer._map);
    });
  };

  GS.addSearch = function (map, opts) {
    var Ctl = L.Control.extend({
      options: { position: 'topleft' },
      onAdd: function () {
        var div = L.DomUtil.create('div', 'leaflet-bar gs-search');
        var input = L.DomUtil.create('input', '', div);
        input.type = 'search';
        input.placeholder = opts.placeholder;
        input.setAttribute('aria-label', opts.placeholder);
        var msg = L.DomUtil.create('span', 'gs-search-msg', div);
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.on(input, 'keydown', function (e) {
          if (e.key !== 'Enter') return;
          var code = input.value.trim();
          msg.textContent = '';
          if (!code) return;
          var layer = GS.index[GS.esc(code)];
          if (layer) {
            map.fitBounds(layer.getBounds ? layer.getBounds() : L.latLngBounds([layer.getLatLng()]),
              { maxZoom: 17, animate: false });  // settle first, so the popup pans into view
            layer.openPopup();
            return;
          }
          if (!opts.url) { msg.textContent = opts.notFound; return; }
          fetch(opts.url + encodeURIComponent(code) + (opts.suffix || ''), { credentials: 'same-origin' })
            .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
            .then(function (f) {
              if (!Array.isArray(f.bbox)) {  // a GeoJSON feature (the bureau's parcel API)
                map.fitBounds(L.geoJSON(f).getBounds(), { maxZoom: 17 });
                return;
              }
              // /maps/investors/find: bbox [w, s, e, n], a point inside, escaped properties
              var b = f.bbox.map(Number);
              map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { maxZoom: 17, animate: false });
              if (opts.popup && f.properties && Array.isArray(f.point)) {
                L.popup({ maxWidth: 440 }).setLatLng([Number(f.point[1]), Number(f.point[0])])
                  .setContent(GS.popupHtml(opts.popup, f.properties, false)).openOn(map);
              }
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

  document.addEventListener('DOMContentLoaded', function () {
    if (document.querySelector('[data-gs-wall]')) document.body.classList.add('gs-wall');
    document.querySelectorAll('[data-gs-print]').forEach(function (b) {
      b.addEventListener('click', function () { window.print(); });
    });
  });
})();
