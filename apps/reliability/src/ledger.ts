// What the vault must hold: every key a suite wrote, what was acknowledged, and what an
// unacknowledged write might have left behind. verify() and scan() compare it with what a server
// answers, opening every envelope with the application's secret.
import { createSealer, generateSecret, type Sealer } from "@coffer/core";
import { b64, call, unb64 } from "./http.js";

/** A value, or null for "no entry". */
export type Value = string | null;

interface KeyState {
  key: string;
  blindedId: string;
  /** The last acknowledged value (null: acknowledged delete); undefined until one is acknowledged. */
  acked: Value | undefined;
  /** What the store may hold: the acknowledged value plus every write not answered since. */
  possible: Set<Value>;
}

/** A batch-put whose fate is unknown: all of it or none of it must be there. */
interface OpenBatch {
  keys: string[];
  values: string[];
}

export interface Verification {
  /** Keys whose acknowledged value (or acknowledged delete) was confirmed. */
  acknowledgedChecked: number;
  /** Keys without an acknowledged operation, confirmed to hold one of their possible values. */
  unacknowledgedChecked: number;
  /** Human-readable problems: missing, wrong value, an envelope that does not open. */
  problems: string[];
}

export interface Scan {
  /** Entries the server listed. */
  entries: number;
  /** Entries that failed to open (or opened to another key than their blinded id says). */
  corrupt: number;
  /** Listed entries whose blinded id no write of this suite produced. */
  unknown: number;
  /** Unacknowledged batch-puts found partly applied. */
  tornBatches: number;
  problems: string[];
}

export class Ledger {
  readonly store: string;
  readonly sealer: Sealer;
  readonly #keys = new Map<string, KeyState>();
  readonly #byBlindedId = new Map<string, KeyState>();
  readonly #openBatches = new Set<OpenBatch>();

  constructor(store: string, secret = generateSecret()) {
    this.store = store;
    this.sealer = createSealer({ secret });
  }

  get size(): number {
    return this.#keys.size;
  }

  /** Keys with an acknowledged value or delete. */
  acknowledged(): string[] {
    return [...this.#keys.values()].filter((s) => s.acked !== undefined).map((s) => s.key);
  }

  allKeys(): string[] {
    return [...this.#keys.keys()];
  }

  /** Seals `value` for `key` and records the attempt: from now on the store may hold it. */
  async sealWrite(key: string, value: string) {
    const sealed = await this.sealer.seal(this.store, key, value);
    const state = this.#state(key, sealed.blindedId);
    state.possible.add(value);
    return {
      blindedId: sealed.blindedId,
      body: { keyId: sealed.keyId, envelope: b64(sealed.envelope) },
    };
  }

  /** Records a delete attempt; returns the blinded id to delete. */
  async beginDelete(key: string): Promise<string> {
    const state = this.#keys.get(key);
    const blindedId = state?.blindedId ?? (await this.sealer.blindKey(this.store, key));
    this.#state(key, blindedId).possible.add(null);
    return blindedId;
  }

  /** The server answered success for this write or delete. */
  ack(key: string, value: Value): void {
    const state = this.#keys.get(key);
    if (!state) throw new Error("ack of a key never written");
    state.acked = value;
    state.possible = new Set([value]);
  }

  /** A batch-put of new keys went out; forget it with batchAcked when it is answered. */
  batchSent(keys: string[], values: string[]): OpenBatch {
    const batch = { keys, values };
    this.#openBatches.add(batch);
    return batch;
  }

  batchAcked(batch: OpenBatch): void {
    this.#openBatches.delete(batch);
    batch.keys.forEach((key, i) => {
      this.ack(key, batch.values[i] ?? null);
    });
  }

  /**
   * Reads one key through `url` (a single GET) and opens it: `value` is null on 404, undefined when
   * the server did not answer 200 or 404.
   */
  async readOne(
    url: string,
    apiKey: string,
    key: string,
  ): Promise<{ status: number; value?: Value | undefined }> {
    const state = this.#keys.get(key);
    if (!state) throw new Error("read of a key never written");
    const answer = await call(
      url,
      apiKey,
      "GET",
      `/v1/stores/${this.store}/entries/${state.blindedId}`,
    );
    if (answer.status === 404 && answer.code === "ENTRY_NOT_FOUND")
      return { status: 404, value: null };
    if (answer.status !== 200) return { status: answer.status };
    const opened = await this.sealer.open(this.store, state.blindedId, unb64(answer.body.envelope));
    return { status: 200, value: opened.key === state.key ? (opened.value as string) : undefined };
  }

  /** Reads `keys` (default: all) through `url` in batches of 100 and checks each against the ledger. */
  async verify(
    url: string,
    apiKey: string,
    keys: string[] = this.allKeys(),
  ): Promise<Verification> {
    const result: Verification = { acknowledgedChecked: 0, unacknowledgedChecked: 0, problems: [] };
    const states = keys.map((key) => this.#keys.get(key)).filter((s) => s !== undefined);
    for (let i = 0; i < states.length; i += 100) {
      const chunk = states.slice(i, i + 100);
      const answer = await call(url, apiKey, "POST", `/v1/stores/${this.store}/entries/batch-get`, {
        blindedIds: chunk.map((s) => s.blindedId),
      });
      if (answer.status !== 200) {
        result.problems.push(`batch-get: HTTP ${answer.status} ${answer.code}`);
        continue;
      }
      const found = new Map<string, string>(
        (answer.body.entries as Array<{ blindedId: string; envelope: string }>).map((e) => [
          e.blindedId,
          e.envelope,
        ]),
      );
      for (const state of chunk) {
        const envelope = found.get(state.blindedId);
        let value: Value = null;
        if (envelope !== undefined) {
          try {
            const opened = await this.sealer.open(this.store, state.blindedId, unb64(envelope));
            if (opened.key !== state.key) {
              result.problems.push(`an entry opened to another key (${label(state)})`);
              continue;
            }
            value = opened.value as string;
          } catch (error) {
            result.problems.push(`an envelope does not open (${label(state)}): ${String(error)}`);
            continue;
          }
        }
        if (!state.possible.has(value)) {
          result.problems.push(
            `${label(state)}: ${envelope === undefined ? "missing" : "holds a value never written last"}` +
              ` (acknowledged: ${state.acked === undefined ? "nothing" : state.acked === null ? "delete" : "a value"})`,
          );
          continue;
        }
        if (state.acked !== undefined && state.possible.size === 1) result.acknowledgedChecked++;
        else result.unacknowledgedChecked++;
      }
    }
    return result;
  }

  /**
   * Lists every entry of the store through `url` and opens each: none may be corrupt or unknown,
   * and no unacknowledged batch may be half there.
   */
  async scan(url: string, apiKey: string): Promise<Scan> {
    const result: Scan = { entries: 0, corrupt: 0, unknown: 0, tornBatches: 0, problems: [] };
    const present = new Map<string, Value>();
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?cursor=${cursor}` : "";
      const page = await call(url, apiKey, "GET", `/v1/stores/${this.store}/entries${query}`);
      if (page.status !== 200) {
        result.problems.push(`list: HTTP ${page.status} ${page.code}`);
        return result;
      }
      for (const entry of page.body.entries as Array<{ blindedId: string; envelope: string }>) {
        result.entries++;
        const state = this.#byBlindedId.get(entry.blindedId);
        if (!state) {
          result.unknown++;
          result.problems.push("an entry no write of this suite produced");
          continue;
        }
        try {
          const opened = await this.sealer.open(this.store, entry.blindedId, unb64(entry.envelope));
          if (opened.key !== state.key) throw new Error("opened to another key");
          present.set(state.key, opened.value as string);
        } catch (error) {
          result.corrupt++;
          result.problems.push(`corrupt entry (${label(state)}): ${String(error)}`);
        }
      }
      cursor = page.body.nextCursor;
    } while (cursor);
    for (const batch of this.#openBatches) {
      const landed = batch.keys.filter((key, i) => present.get(key) === batch.values[i]).length;
      if (landed !== 0 && landed !== batch.keys.length) {
        result.tornBatches++;
        result.problems.push(`a batch-put is partly applied: ${landed} of ${batch.keys.length}`);
      }
    }
    return result;
  }

  #state(key: string, blindedId: string): KeyState {
    let state = this.#keys.get(key);
    if (!state) {
      state = { key, blindedId, acked: undefined, possible: new Set([null]) };
      this.#keys.set(key, state);
      this.#byBlindedId.set(blindedId, state);
    }
    return state;
  }
}

/** Identifies a key in a message without its name or value (a 6-character blinded-id prefix). */
function label(state: KeyState): string {
  return `entry ${state.blindedId.slice(0, 6)}…`;
}
