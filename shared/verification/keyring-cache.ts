import { type Clock, MINUTE, SECOND, withinBudget } from "../kernel/clock.ts";
import { ConfigInvalid, StoreUnavailable } from "../kernel/errors.ts";
import type { Keyring } from "../keyring/keyring.ts";

/**
 * What a cache holds: a keyring by default, or anything read the same way (the public JWKS
 * function caches the published public keys).
 */
export interface KeyringCacheOptions<T = Keyring> {
  /** Where the keyring comes from (a store's `load`). Throws, or answers undefined, on failure. */
  readonly load: () => Promise<T | undefined>;
  readonly clock: Clock;
  /** A keyring this old is reloaded before use. Default 60 s. */
  readonly ttlMs?: number;
  /** A token naming an unknown kid reloads the keyring at most once per this period. Default 10 s. */
  readonly unknownKidCooldownMs?: number;
  /** When loading fails, the last good keyring keeps serving until it is this old. Default 15 min. */
  readonly maxStaleMs?: number;
  /** After a failed load, wait this long before trying again. Default 5 s. */
  readonly retryAfterMs?: number;
  /**
   * A request waits at most this long for a reload for an unknown kid (a new key's first tokens
   * after a long idle: it must not be refused); the reload goes on in the background. Default 1 s.
   */
  readonly unknownKidWaitMs?: number;
  /**
   * Past the TTL, the cached keyring answers while the reload runs in the background for at most
   * this long; a keyring older than TTL + this makes the caller wait for the reload (and still
   * get the last good one if it fails). Default: no limit (verifiers: a slow Secrets Manager must
   * not slow requests). Signers set it: after a long idle, a token must not be signed with a key
   * retired meanwhile.
   */
  readonly backgroundReloadForMs?: number;
}

export type KeyringRead<T = Keyring> =
  | {
      readonly ok: true;
      readonly keyring: T;
      readonly ageMs: number;
      readonly stale: boolean;
    }
  | { readonly ok: false; readonly reason: "keyring_unavailable" };

/**
 * The keyring of one container. Loads once, serves from memory until the TTL passes, then reloads
 * in the background while the cached keyring keeps answering (stale-while-revalidate: a slow or
 * hanging Secrets Manager never holds up a request the cached keyring can answer); concurrent
 * callers share one load in flight. Only the first load waits, and a reload for an unknown kid
 * waits at most `unknownKidWaitMs`. When loads fail or yield an invalid keyring, the last good one
 * keeps serving (`stale: true`) for at most `maxStaleMs`; past that, callers are told the keyring
 * is unavailable and must refuse (and wait for the next load).
 */
export class KeyringCache<T = Keyring> {
  readonly #load: () => Promise<T | undefined>;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #cooldownMs: number;
  readonly #maxStaleMs: number;
  readonly #retryAfterMs: number;
  readonly #unknownKidWaitMs: number;
  readonly #backgroundReloadForMs: number;
  #keyring: T | undefined;
  #loadedAt = Number.NEGATIVE_INFINITY;
  #failedAt = Number.NEGATIVE_INFINITY;
  #unknownKidReloadAt = Number.NEGATIVE_INFINITY;
  /** The reload an unknown kid started, while it runs: every caller with an unknown kid waits for it. */
  #unknownKidReload: Promise<void> | undefined;
  #inFlight: Promise<void> | undefined;
  #lastError: unknown;

  constructor(options: KeyringCacheOptions<T>) {
    this.#load = options.load;
    this.#clock = options.clock;
    this.#ttlMs = options.ttlMs ?? MINUTE;
    this.#cooldownMs = options.unknownKidCooldownMs ?? 10 * SECOND;
    this.#maxStaleMs = options.maxStaleMs ?? 15 * MINUTE;
    this.#retryAfterMs = options.retryAfterMs ?? 5 * SECOND;
    this.#unknownKidWaitMs = options.unknownKidWaitMs ?? SECOND;
    this.#backgroundReloadForMs = options.backgroundReloadForMs ?? Number.POSITIVE_INFINITY;
    const problems = (
      [
        "ttlMs",
        "unknownKidCooldownMs",
        "maxStaleMs",
        "retryAfterMs",
        "unknownKidWaitMs",
        "backgroundReloadForMs",
      ] as const
    )
      .filter((name) => {
        const value = options[name];
        return value !== undefined && (!Number.isFinite(value) || value < 0);
      })
      .map((name) => `${name} must be a duration >= 0`);
    if (problems.length > 0) throw new ConfigInvalid(problems);
  }

  /**
   * The keyring to verify with now. Older than the TTL, it is reloaded in the background and
   * served meanwhile; only with no usable keyring (none yet, or past the stale bound) does the
   * caller wait for the load.
   */
  /**
   * Called after each successful load with the keyring it replaces (undefined at the first): an
   * instance reports at once when its keyring changed, rather than at its next minute.
   */
  onLoaded: ((before: T | undefined, after: T) => void) | undefined;

  async get(): Promise<KeyringRead<T>> {
    const wait = this.#reloadDue(this.#clock.now());
    if (wait !== undefined) await wait;
    return this.#read(this.#clock.now());
  }

  /**
   * The keyring now, without waiting, when the caller would not have to wait (the usual case:
   * `get` with no promise to await); undefined when it would (then `get`). `nowMs`: the
   * request's one reading of the clock, when the caller has it.
   */
  readNow(nowMs = this.#clock.now()): KeyringRead<T> | undefined {
    return this.#reloadDue(nowMs) === undefined ? this.#read(nowMs) : undefined;
  }

  /** Starts the reload that is due, if any; answers it when the caller must wait for it. */
  #reloadDue(now: number): Promise<void> | undefined {
    if (now - this.#loadedAt < this.#ttlMs || now - this.#failedAt < this.#retryAfterMs)
      return undefined;
    const reload = this.#reload();
    const tooOld = now - this.#loadedAt >= this.#ttlMs + this.#backgroundReloadForMs;
    return tooOld || !this.#read(now).ok ? reload : undefined;
  }

  /**
   * A token named a kid this keyring does not have: reload, unless a reload for that reason
   * started within the cooldown (a flood of made-up kids must not become a flood of calls). The
   * reload begins now, after any load already in flight (which may have begun before the new key
   * existed); every caller with an unknown kid while it runs waits for that same reload (a new
   * key's first burst of tokens, after an emergency, must not be refused). Answers whether it
   * finished within the wait (the caller then reads the keyring again).
   */
  async reloadForUnknownKid(): Promise<boolean> {
    if (this.#unknownKidReload === undefined) {
      const now = this.#clock.now();
      if (now - this.#unknownKidReloadAt < this.#cooldownMs) return false;
      this.#unknownKidReloadAt = now;
      const earlier = this.#inFlight;
      const reload = (
        earlier === undefined ? this.#reload() : earlier.then(() => this.#reload())
      ).finally(() => {
        if (this.#unknownKidReload === reload) this.#unknownKidReload = undefined;
      });
      this.#unknownKidReload = reload;
    }
    return withinBudget(
      this.#unknownKidReload.then(() => true),
      this.#unknownKidWaitMs,
      () => false,
    );
  }

  /**
   * The keyring verifications use now, without loading one (what the instance's receipt says it
   * holds); undefined before the first load and past the stale bound.
   */
  get held(): T | undefined {
    const read = this.#read(this.#clock.now());
    return read.ok ? read.keyring : undefined;
  }

  /** Why the last load failed, for logs (never the keyring itself). */
  get lastError(): unknown {
    return this.#lastError;
  }

  /**
   * The load in flight, if any: a runtime that ends a request's work with its answer (Workers)
   * keeps it alive with `waitUntil`, so a background reload is not cut short.
   */
  get loading(): Promise<void> | undefined {
    return this.#inFlight;
  }

  #read(now: number): KeyringRead<T> {
    if (this.#keyring === undefined) return { ok: false, reason: "keyring_unavailable" };
    const ageMs = now - this.#loadedAt;
    if (ageMs >= this.#ttlMs + this.#maxStaleMs)
      return { ok: false, reason: "keyring_unavailable" };
    // Past the TTL while a reload is under way is not stale; past it after a failed load is.
    const stale = ageMs >= this.#ttlMs && this.#failedAt >= this.#loadedAt;
    return { ok: true, keyring: this.#keyring, ageMs, stale };
  }

  #reload(): Promise<void> {
    this.#inFlight ??= (async () => {
      try {
        const keyring = await this.#load();
        if (keyring === undefined) throw new StoreUnavailable("no keyring is stored");
        const before = this.#keyring;
        this.#keyring = keyring;
        this.#loadedAt = this.#clock.now();
        this.#lastError = undefined;
        this.onLoaded?.(before, keyring);
      } catch (error) {
        this.#failedAt = this.#clock.now();
        this.#lastError = error;
      } finally {
        this.#inFlight = undefined;
      }
    })();
    return this.#inFlight;
  }
}
