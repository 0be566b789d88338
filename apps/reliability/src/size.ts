// How big a run is: `pnpm test` runs every suite reduced (CI), `pnpm test:reliability` at full size
// (COFFER_RELIABILITY=full), whose figures RELIABILITY.md records.
export const FULL = process.env.COFFER_RELIABILITY === "full";

export const SIZE = FULL
  ? {
      /** SIGKILLs per engine in the crash-durability suite. */
      kills: 20,
      /** Soak length per engine. */
      soakMs: 5 * 60_000,
      soakConcurrency: 64,
      /** PostgreSQL outages under load, and how long each lasts. */
      outages: 3,
      outageMs: 5_000,
      /** SIGKILLs of one of two servers sharing a PostgreSQL. */
      twoServerKills: 6,
      /** Generated requests in the HTTP fuzzer. */
      fuzzRequests: 10_000,
      /** Random and mutated envelopes given to open(). */
      envelopeFuzzCases: 20_000,
      /** Samples per prefix class in the credential timing test. */
      timingSamples: 4_000,
    }
  : {
      kills: 4,
      soakMs: 10_000,
      soakConcurrency: 32,
      outages: 1,
      outageMs: 2_000,
      twoServerKills: 2,
      fuzzRequests: 1_500,
      envelopeFuzzCases: 2_000,
      timingSamples: 1_000,
    };
