// Shapes of the HTTP API (docs/api.md).

export interface Summary {
  store: string;
  time_min: string | null;
  time_max: string | null;
  bbox: [number, number, number, number] | null;
  vessels: number;
  positions: number;
  sanctioned_vessels: number;
  events_by_type: Record<string, number>;
  event_types: string[];
  writes_enabled: boolean;
}

export interface Page<T> {
  total: number;
  limit: number;
  offset: number;
  items: T[];
}

export interface VesselRow {
  vessel_id: string;
  mmsi: number | null;
  imo: number | null;
  name: string | null;
  call_sign: string | null;
  flag_iso2: string | null;
  ship_type: number | null;
  first_seen: string | null;
  last_seen: string | null;
  n_positions: number | null;
  risk_score: number | null;
  band: string | null;
  sanctioned: boolean | null;
  watchlisted: boolean | null;
}

export interface SearchResult extends VesselRow {
  matched_on: string;
  matched_value: string | null;
  match_score: number | null;
}

export interface EventRow {
  event_id: string;
  event_type: string;
  subtype: string | null;
  vessel_id: string | null;
  vessel_name: string | null;
  mmsi: number | null;
  imo: number | null;
  other_vessel_id: string | null;
  /** Added to the contract after the first version: absent from older servers. */
  other_vessel_name?: string | null;
  other_mmsi: number | null;
  start_time: string | null;
  end_time: string | null;
  lat: number | null;
  lon: number | null;
  port_name: string | null;
  confidence: number | null;
}

export interface EventDetail extends EventRow {
  details: unknown;
}

export interface Identity {
  vessel_id?: string;
  mmsi?: number | null;
  imo?: number | null;
  name?: string | null;
  call_sign?: string | null;
  flag_iso2?: string | null;
  ship_type?: number | null;
  length_m?: number | null;
  beam_m?: number | null;
  valid_from?: string | null;
  valid_to?: string | null;
  [key: string]: unknown;
}

export interface RiskReason {
  indicator: string;
  points: number;
  event_ids: string[];
  events: EventRow[];
}

export interface SanctionsMatch {
  vessel_id?: string;
  key?: string;
  lists?: string[] | null;
  entry_ids?: string[] | null;
  listed_name?: string | null;
  matched_on?: string | null;
  matched_value?: string | null;
  listed_value?: string | null;
  score?: number | null;
  valid_from?: string | null;
  valid_to?: string | null;
  [key: string]: unknown;
}

export type Row = Record<string, unknown>;

export interface Note {
  note_id: string | number;
  target_kind: string;
  target_id: string;
  text: string;
  created_at: string;
}

export interface Profile {
  vessel: VesselRow;
  identities: Identity[];
  sanctions_matches: SanctionsMatch[];
  risk_reasons: RiskReason[];
  event_counts: Record<string, number>;
  voyages: Row[];
  shipments: Row[];
  /** Names of the vessels the shipments cite, by id. */
  vessel_names?: Record<string, string | null>;
  notes: Note[];
  watchlisted: boolean;
}

export interface WatchItem {
  vessel_id: string;
  note: string | null;
  added_at: string;
  vessel: VesselRow | null;
}

export interface Band3 {
  low: number;
  mid: number;
  high: number;
}

export interface TradeEstimate {
  origin_country: string;
  destination_country: string;
  commodity: string;
  price_usd_per_t: { low: number; high: number };
  tonnes: Band3;
  value_usd: { low: number; high: number };
  voyages: number;
  vessels: number;
  vessel_ids: string[];
  by_month: { month: string; voyages: number; tonnes: Band3; value_usd: { low: number; high: number } }[];
  turnaround: {
    pattern: string;
    voyages: number;
    tonnes_mid: number;
    median_transit_days: number | null;
    median_round_trip_days: number | null;
  }[];
  shipments: Row[];
  vessel_names?: Record<string, string | null>;
  arrived_not_discharged?: { voyages: number; tonnes_mid: number; shipments: Row[] };
  unknown_origin?: { voyages: number; tonnes_mid: number; shipments: Row[] };
}

export interface TrackFeature {
  type: "Feature";
  /** The contract says LineString; a stretch of one fix comes as a Point. */
  geometry: { type: "LineString"; coordinates: [number, number][] } | { type: "Point"; coordinates: [number, number] };
  properties: {
    vessel_id: string;
    /** The contract says an int; the server sends a list of the stretch's MMSIs. */
    mmsi: number | number[];
    start_time: string;
    end_time: string;
    n_points: number;
    times_s: number[];
  };
}

export interface TrackCollection {
  type: "FeatureCollection";
  features: TrackFeature[];
  simplification?: { zoom: number; tolerance_deg: number; positions_in: number; points_out: number };
}
