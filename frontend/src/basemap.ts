// A MapLibre map with a fully local style: sea background + Natural Earth land served
// by the API (no glyphs, sprites, tiles or fonts from the network).
import { AttributionControl, Map as MapLibreMap, NavigationControl, ScaleControl, setWorkerUrl, type GeoJSONSource, type StyleSpecification } from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
// MapLibre 6 loads its worker from a URL next to its module: point it at the copy Vite
// emits (a plain asset, served by the API like every other file).
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";
import { getJSON } from "./api";
import { BASE } from "./colors";
import { reportError } from "./ui";

setWorkerUrl(workerUrl);

let landPromise: Promise<GeoJSON.FeatureCollection> | null = null;

function land(): Promise<GeoJSON.FeatureCollection> {
  if (!landPromise) {
    landPromise = getJSON<GeoJSON.FeatureCollection>("/api/basemap/land");
    landPromise.catch(() => {
      landPromise = null;
    });
  }
  return landPromise;
}

export function baseStyle(): StyleSpecification {
  return {
    version: 8,
    sources: {
      land: { type: "geojson", data: { type: "FeatureCollection", features: [] } },
    },
    layers: [
      { id: "sea", type: "background", paint: { "background-color": BASE.sea } },
      { id: "land", type: "fill", source: "land", paint: { "fill-color": BASE.land, "fill-antialias": true } },
      { id: "coast", type: "line", source: "land", paint: { "line-color": BASE.coast, "line-width": 0.8 } },
    ],
  };
}

export interface BaseMapOptions {
  container: HTMLElement;
  bounds?: [number, number, number, number] | null;
  center?: [number, number];
  zoom?: number;
}

export function createBaseMap(opts: BaseMapOptions): MapLibreMap {
  const map = new MapLibreMap({
    container: opts.container,
    style: baseStyle(),
    center: opts.center ?? [124, 36],
    zoom: opts.zoom ?? 4,
    attributionControl: false,
    dragRotate: false,
    pitchWithRotate: false,
    maxZoom: 16,
    renderWorldCopies: false,
    fadeDuration: 0,
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new ScaleControl({ unit: "nautical" }), "bottom-left");
  map.addControl(new AttributionControl({ compact: true, customAttribution: "Land: Natural Earth (public domain)" }), "bottom-right");
  if (opts.bounds && isValidBounds(opts.bounds)) {
    map.fitBounds(padBounds(opts.bounds), { animate: false, padding: 30 });
  }
  map.on("error", (e) => reportError(e.error ?? e, "draw the map"));
  const setLand = (data: GeoJSON.FeatureCollection): void => {
    const src = map.getSource("land") as GeoJSONSource | undefined;
    src?.setData(data);
  };
  land()
    .then((data) => {
      if (map.isStyleLoaded()) setLand(data);
      else map.once("load", () => setLand(data));
    })
    .catch((err) => reportError(err, "load the base map (land)"));
  return map;
}

export function isValidBounds(b: readonly number[]): boolean {
  return b.length === 4 && b.every((v) => Number.isFinite(v)) && b[2] >= b[0] && b[3] >= b[1];
}

export function padBounds(b: readonly number[], minSpan = 0.5): [[number, number], [number, number]] {
  let [x0, y0, x1, y1] = b;
  if (x1 - x0 < minSpan) {
    const c = (x0 + x1) / 2;
    x0 = c - minSpan / 2;
    x1 = c + minSpan / 2;
  }
  if (y1 - y0 < minSpan) {
    const c = (y0 + y1) / 2;
    y0 = c - minSpan / 2;
    y1 = c + minSpan / 2;
  }
  return [
    [Math.max(-180, x0), Math.max(-85, y0)],
    [Math.min(180, x1), Math.min(85, y1)],
  ];
}

/** Runs `fn` once the map's style is loaded (immediately when it already is). */
export function whenLoaded(map: MapLibreMap, fn: () => void): void {
  if (map.loaded() || map.isStyleLoaded()) fn();
  else map.once("load", fn);
}

export function boundsOfCoords(coords: Iterable<[number, number]>): [number, number, number, number] | null {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of coords) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return Number.isFinite(x0) ? [x0, y0, x1, y1] : null;
}
