import { withinBudget } from "../kernel/clock.ts";
import { checkedRedisPrefix } from "../upstash/prefix.ts";
import { UpstashRest } from "../upstash/rest.ts";
import type { UpstashSettings } from "../upstash/settings.ts";
import { upstashFailure } from "../upstash/settings.ts";
import {
  evaluate,
  lookupFor,
  type RevocationStatus,
  type RevocationTiming,
  revocationKey,
  type TokenFacts,
} from "./rules.ts";
import { type RevocationStore, StoreUnavailable } from "./store.ts";

export interface UpstashCheckOptions extends UpstashSettings {
  readonly timing: RevocationTiming;
  /** A check answers within this many milliseconds or fails as `StoreUnavailable`. Default 100. */
  readonly budgetMs?: number;
  /** Prefix of every key (checked). Default `kw:`. */
  readonly prefix?: string;
}

/**
 * The verifiers' side of the Upstash revocation store: a check is one `MGET` (one HTTP request,
 * over `UpstashRest`) of every key that could revoke the token, answered within the budget or
 * `StoreUnavailable`. `UpstashRevocationStore` adds the writes; verifiers (the authorizer, the
 * edge) need only this, and never load the full client.
 */
export class UpstashRevocationCheck implements Pick<RevocationStore, "check"> {
  readonly #rest: UpstashRest;
  readonly #budgetMs: number;
  readonly #prefix: string;

  constructor(options: UpstashCheckOptions) {
    this.#budgetMs = options.budgetMs ?? 100;
    this.#prefix = checkedRedisPrefix(options.prefix);
    this.#rest = new UpstashRest(options, this.#budgetMs);
  }

  async check(facts: TokenFacts): Promise<RevocationStatus> {
    const lookup = lookupFor(this.#prefix, facts);
    const values = await answerWithinBudget(
      this.#rest.command<(string | null)[]>(["MGET", ...lookup.keys]),
      this.#budgetMs,
    );
    if (!Array.isArray(values) || values.length !== lookup.keys.length) {
      throw new StoreUnavailable(
        "revocation store answered with something other than one value per key",
      );
    }
    return evaluate(lookup, values, facts);
  }

  /**
   * Opens the connection ahead of the first check (during a Lambda's init phase), so the first
   * request does not pay for it. Failures are ignored: the first check will report them.
   */
  async warmUp(): Promise<void> {
    await this.#rest
      .command(["MGET", revocationKey(this.#prefix, { kind: "all" })])
      .catch(() => undefined);
  }
}

/** The store's answer within the budget; any failure, or none in time, is `StoreUnavailable`. */
async function answerWithinBudget<T>(operation: Promise<T>, budgetMs: number): Promise<T> {
  try {
    return await withinBudget(operation, budgetMs, () => {
      throw new StoreUnavailable(`revocation store did not answer within ${budgetMs} ms`);
    });
  } catch (error) {
    if (error instanceof StoreUnavailable) throw error;
    throw new StoreUnavailable(`revocation store unavailable: ${upstashFailure(error)}`, {
      cause: error,
    });
  } finally {
    operation.catch(() => undefined);
  }
}
