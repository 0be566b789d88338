// What a run measures, from the command line: sizes and durations for full and --quick runs.

export type Engine = "sqlite" | "postgres";
export const SUITES = ["seal", "e2e", "scale", "cold-start"] as const;
export type SuiteName = (typeof SUITES)[number];

export interface Settings {
  quick: boolean;
  /** Run the server from source (tsx) rather than apps/server/dist. */
  source: boolean;
  engines: Engine[];
  e2e: {
    concurrencies: number[];
    rounds: number;
    warmupMs: number;
    durationMs: number;
    /** Entries in the store the workload reads and overwrites. */
    keyspace: number;
    valueBytes: number;
    batch: number;
  };
  scale: {
    /** The large store. */
    entries: number;
    /** The small store it is compared with. */
    smallEntries: number;
    valueBytes: number;
    rounds: number;
    durationMs: number;
    /** Value sizes for bytes per entry, each in a store of `sizeEntries` entries. */
    sizes: number[];
    sizeEntries: number;
    /** rotate() stops after this long and the rest is projected from its rate. */
    rotateBudgetMs: number;
  };
  coldStart: { runs: number };
}

export function settingsFor(quick: boolean, source: boolean, engines: Engine[]): Settings {
  return {
    quick,
    source,
    engines,
    e2e: {
      concurrencies: [1, 16, 64],
      rounds: quick ? 2 : 3,
      warmupMs: quick ? 200 : 500,
      durationMs: quick ? 500 : 2000,
      keyspace: quick ? 2_000 : 10_000,
      valueBytes: 1024,
      batch: 50,
    },
    scale: {
      entries: quick ? 20_000 : 1_000_000,
      smallEntries: 1_000,
      valueBytes: 256,
      rounds: quick ? 2 : 4,
      durationMs: quick ? 700 : 2500,
      sizes: [32, 1024, 4096],
      sizeEntries: quick ? 500 : 5_000,
      rotateBudgetMs: quick ? 15_000 : 150_000,
    },
    coldStart: { runs: quick ? 5 : 11 },
  };
}
