// The HTTP client: every call goes through `request`, which turns any answer that is
// not 2xx into an ApiError carrying the status and the server's `detail`.
import { tableFromIPC, type Table } from "apache-arrow";
import type { Summary } from "./types";

const TOKEN_KEY = "shadowfleet.token";

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly detail: string,
    public readonly url: string,
    public readonly method: string,
  ) {
    super(`${method} ${url}: ${status ? `HTTP ${status}` : "network error"}: ${detail}`);
    this.name = "ApiError";
  }
}

/** Takes `?token=` from the address once (query or hash query), keeps it, strips it. */
export function captureToken(): void {
  const url = new URL(window.location.href);
  let token = url.searchParams.get("token");
  if (token !== null) url.searchParams.delete("token");
  let hash = url.hash;
  const q = hash.indexOf("?");
  if (q >= 0) {
    const params = new URLSearchParams(hash.slice(q + 1));
    const fromHash = params.get("token");
    if (fromHash !== null) {
      token = token ?? fromHash;
      params.delete("token");
      const rest = params.toString();
      hash = hash.slice(0, q) + (rest ? `?${rest}` : "");
      url.hash = hash;
    }
  }
  if (token !== null) {
    if (token.trim()) localStorage.setItem(TOKEN_KEY, token.trim());
    else localStorage.removeItem(TOKEN_KEY);
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
}

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

let summaryCache: Summary | null = null;
let summaryPromise: Promise<Summary> | null = null;
export function cachedSummary(): Summary | null {
  return summaryCache;
}

/** The store summary, requested once and shared (again when `refresh`). */
export function getSummary(refresh = false): Promise<Summary> {
  if (!summaryPromise || refresh) {
    summaryPromise = getJSON<Summary>("/api/summary").then((s) => {
      summaryCache = s;
      return s;
    });
    summaryPromise.catch(() => {
      summaryPromise = null;
    });
  }
  return summaryPromise;
}

export function canWrite(): boolean {
  return Boolean(summaryCache?.writes_enabled) && Boolean(getToken());
}

type Params = Record<string, string | number | boolean | null | undefined | string[]>;

export function apiUrl(path: string, params?: Params): string {
  const search = new URLSearchParams();
  if (params) {
    for (const [key, value] of Object.entries(params)) {
      if (value === null || value === undefined || value === "") continue;
      if (Array.isArray(value)) {
        if (value.length) search.set(key, value.join(","));
      } else search.set(key, String(value));
    }
  }
  const qs = search.toString();
  // Relative to the page so that the app also works under a path prefix.
  return `.${path}${qs ? `?${qs}` : ""}`;
}

async function detailOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  if (!text) return response.statusText || "no detail";
  try {
    const body = JSON.parse(text) as { detail?: unknown };
    const d = body.detail;
    if (typeof d === "string") return d;
    if (Array.isArray(d)) {
      // FastAPI validation errors: [{loc, msg, type}]
      return d
        .map((item: { loc?: unknown[]; msg?: string }) =>
          `${(item.loc ?? []).filter((x) => x !== "query" && x !== "body").join(".")}: ${item.msg ?? ""}`,
        )
        .join("; ");
    }
    if (d !== undefined) return JSON.stringify(d);
  } catch {
    /* not JSON */
  }
  return text.slice(0, 300);
}

async function request(method: string, path: string, params?: Params, body?: unknown, signal?: AbortSignal): Promise<Response> {
  const url = apiUrl(path, params);
  const headers: Record<string, string> = { Accept: "application/json, application/vnd.apache.arrow.stream" };
  if (method !== "GET") {
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
  }
  let init: RequestInit = { method, headers, signal };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init = { ...init, body: JSON.stringify(body) };
  }
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, err instanceof Error ? err.message : String(err), path, method);
  }
  if (!response.ok) {
    let detail = await detailOf(response);
    if (response.status === 401) detail += " (the access token is missing or wrong)";
    if (response.status === 403) detail += " (the server was started without --token: read-only)";
    throw new ApiError(response.status, detail, path, method);
  }
  return response;
}

export async function getJSON<T>(path: string, params?: Params, signal?: AbortSignal): Promise<T> {
  const response = await request("GET", path, params, undefined, signal);
  return (await response.json()) as T;
}

export async function getArrow(
  path: string,
  params?: Params,
  signal?: AbortSignal,
): Promise<{ table: Table; totalCount: number | null }> {
  const response = await request("GET", path, params, undefined, signal);
  const buffer = new Uint8Array(await response.arrayBuffer());
  const header = response.headers.get("X-Total-Count");
  return { table: tableFromIPC(buffer), totalCount: header === null ? null : Number(header) };
}

export async function send<T>(method: "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T | null> {
  const response = await request(method, path, undefined, body);
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? (JSON.parse(text) as T) : null;
}
