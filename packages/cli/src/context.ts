// One run of a command: its options (flags over COFFER_* variables), the vault client they make,
// and how to print the result. Credentials are checked only by the commands that need them.
import {
  CofferError,
  createSealer,
  createVault,
  createVaultClient,
  type DataVaultStore,
  type VaultClient,
} from "@coffer/core";
import type { CliIo } from "./io.js";

export const DEFAULT_URL = "http://127.0.0.1:4747";

/** The options every command sees (global ones included). */
export interface CommandOptions {
  url?: string | undefined;
  apiKey?: string | undefined;
  secret?: string | undefined;
  previousSecrets?: string | undefined;
  /** --allow-insecure-http, or COFFER_ALLOW_INSECURE_HTTP=1. */
  allowInsecureHttp?: boolean | undefined;
  /** Whether --secret was given on the command line (not from COFFER_SECRET). */
  secretFlag?: boolean | undefined;
  json?: boolean | undefined;
  [option: string]: unknown;
}

export interface Keyring {
  secret: string;
  previousSecrets: string[];
}

export class Context {
  readonly io: CliIo;
  readonly options: CommandOptions;
  /** Operands beyond the command's arguments (only commands that allow them get any). */
  readonly extraArgs: string[];

  constructor(io: CliIo, options: CommandOptions, extraArgs: string[] = []) {
    this.io = io;
    this.options = options;
    this.extraArgs = extraArgs;
  }

  get json(): boolean {
    return this.options.json === true;
  }

  /** Prints the JSON document with --json, the human text otherwise (a newline is added). */
  result(json: unknown, human: () => string): void {
    if (this.json) this.io.stdout(`${JSON.stringify(json)}\n`);
    else this.io.stdout(`${human()}\n`);
  }

  /** A line for the human on stderr (never with --json, whose stdout is the one document). */
  note(text: string): void {
    if (!this.json) this.io.stderr(`${text}\n`);
  }

  get url(): string {
    return this.options.url || DEFAULT_URL;
  }

  get allowInsecureHttp(): boolean {
    return this.options.allowInsecureHttp === true;
  }

  get apiKey(): string {
    const apiKey = this.options.apiKey;
    if (!apiKey) {
      throw new CofferError(
        "INVALID_ARGUMENT",
        "No API key: set COFFER_API_KEY or pass --api-key (create one with `pnpm coffer-server key create`).",
      );
    }
    return apiKey;
  }

  /** COFFER_SECRET and COFFER_PREVIOUS_SECRETS (comma-separated), or their flags. */
  get keyring(): Keyring {
    const secret = this.options.secret;
    if (!secret) {
      throw new CofferError(
        "INVALID_ARGUMENT",
        "No secret: set COFFER_SECRET or pass --secret (the secret your values are sealed under; a new one comes from `coffer secret`).",
      );
    }
    return { secret, previousSecrets: splitList(this.options.previousSecrets) };
  }

  /** The key ids (secret fingerprints) of the keyring, current first. */
  async keyIds(): Promise<string[]> {
    return createSealer(this.keyring).keyIds();
  }

  /** The vault's sealed side (store info, sealed listing): needs the URL and API key, no secret. */
  client(): VaultClient {
    return createVaultClient({
      url: this.url,
      apiKey: this.apiKey,
      allowInsecureHttp: this.allowInsecureHttp,
      fetch: this.io.fetch,
    });
  }

  /** The store through the SDK: checks that it exists (STORE_NOT_FOUND otherwise). */
  async store(storeId: string): Promise<DataVaultStore> {
    const { secret, previousSecrets } = this.keyring;
    const vault = createVault({
      url: this.url,
      apiKey: this.apiKey,
      secret,
      previousSecrets,
      allowInsecureHttp: this.allowInsecureHttp,
      fetch: this.io.fetch,
    });
    return vault.getDataVaultStore(storeId);
  }
}

export function splitList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
