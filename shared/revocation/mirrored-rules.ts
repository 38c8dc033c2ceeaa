import type { LogEntry } from "./change-log.ts";
import {
  type AppliedRule,
  NOT_CLAIM_RULES,
  type RevocationRule,
  type RevocationStatus,
  storedInstantMs,
  type TokenFacts,
} from "./rules.ts";

const NOT_REVOKED: RevocationStatus = { revoked: false };

/** What a check has found so far. */
interface Found {
  readonly issued: number;
  readonly now: number;
  outright?: AppliedRule[];
  cutoffs?: AppliedRule[];
  /** A rule whose value is not a number: revoked now, deny on doubt. */
  corrupt?: RevocationRule;
}

/**
 * The revocation rules a mirror holds, laid out for the check on every request: a map per kind
 * of rule, keyed by what a token carries (its jti under its issuer, its subject, its key, each
 * claim's name and value), so a check builds no storage key and reads nothing it does not need;
 * each rule's instant and expiry in two typed arrays, by slot (a few bytes a rule, no object). It
 * decides as `evaluate` does on the values a lookup reads (the mirror's property test holds it to
 * that).
 */
export class MirroredRules {
  readonly #prefix: string;
  #all = -1;
  readonly #tokens = new Map<string, Map<string, number>>();
  readonly #subjects = new Map<string, number>();
  readonly #kids = new Map<string, number>();
  readonly #claims = new Map<string, Map<string, number>>();
  #values = new Float64Array(64);
  #expiries = new Float64Array(64);
  readonly #free: number[] = [];
  #next = 0;
  #size = 0;

  /** `prefix`: the one every storage key begins with (`kw:`). */
  constructor(prefix: string) {
    this.#prefix = `${prefix}rv:`;
  }

  get size(): number {
    return this.#size;
  }

  clear(): void {
    this.#all = -1;
    this.#tokens.clear();
    this.#subjects.clear();
    this.#kids.clear();
    this.#claims.clear();
    this.#values = new Float64Array(64);
    this.#expiries = new Float64Array(64);
    this.#free.length = 0;
    this.#next = 0;
    this.#size = 0;
  }

  /**
   * An entry only ever raises a live rule: its instant and its expiry are the later of what is held
   * and what the entry says, as the writers' scripts store them (a value that is not a number
   * stays NaN through max: deny on doubt). A rule whose expiry has passed leaves.
   */
  apply(entry: LogEntry, now: number): void {
    const place = this.#placeOf(entry.key);
    if (place === undefined) return;
    const held = place.get();
    const live = held >= 0 && (this.#expiries[held] as number) > now ? held : -1;
    const value = live < 0 ? entry.value : Math.max(this.#values[live] as number, entry.value);
    const expiresAtMs = Math.max(
      live < 0 ? 0 : (this.#expiries[live] as number),
      entry.expiresAtMs,
    );
    if (expiresAtMs <= now) {
      if (held >= 0) this.#release(held, place.remove);
      return;
    }
    const slot = held >= 0 ? held : this.#take();
    this.#values[slot] = value;
    this.#expiries[slot] = expiresAtMs;
    if (held < 0) place.set(slot);
  }

  /** Drops every rule whose expiry has passed. */
  sweep(now: number): void {
    const expired = (slot: number) => (this.#expiries[slot] as number) <= now;
    if (this.#all >= 0 && expired(this.#all)) this.#release(this.#all, () => (this.#all = -1));
    for (const map of [
      this.#subjects,
      this.#kids,
      ...this.#tokens.values(),
      ...this.#claims.values(),
    ])
      for (const [key, slot] of map) if (expired(slot)) this.#release(slot, () => map.delete(key));
  }

  /** Every rule that applies to a token, as `evaluate` orders them, deciding as it does. */
  check(facts: TokenFacts, now: number): RevocationStatus {
    const found: Found = { issued: facts.issuedAtMs ?? Number.NEGATIVE_INFINITY, now };
    // In `lookupFor`'s order: all, token, kid, subject, then the token's claims in their order.
    this.#consider(found, this.#all, "all", true);
    if (facts.jti !== undefined)
      this.#consider(found, this.#tokens.get(facts.iss ?? "")?.get(facts.jti), "token", false);
    if (facts.kid !== undefined) this.#consider(found, this.#kids.get(facts.kid), "kid", false);
    if (facts.sub !== undefined)
      this.#consider(found, this.#subjects.get(facts.sub), "subject", true);
    if (this.#claims.size > 0) {
      for (const name in facts.claims) {
        const values = this.#claims.get(name);
        if (values === undefined || NOT_CLAIM_RULES.has(name)) continue;
        const claim = facts.claims[name];
        for (const item of Array.isArray(claim) ? claim : [claim])
          if (typeof item === "string" || typeof item === "number" || typeof item === "boolean")
            this.#consider(found, values.get(String(item)), "claim", true);
      }
    }
    if (found.corrupt !== undefined) {
      const rule = found.corrupt;
      return {
        revoked: true,
        rule,
        sinceMs: Number.NaN,
        applying: [{ rule, sinceMs: Number.NaN }],
      };
    }
    if (found.outright === undefined && found.cutoffs === undefined) return NOT_REVOKED;
    const applying = [
      ...(found.outright ?? []),
      ...(found.cutoffs ?? []).sort((a, b) => b.sinceMs - a.sinceMs),
    ];
    return { revoked: true, ...(applying[0] as AppliedRule), applying };
  }

  #consider(found: Found, slot: number | undefined, rule: RevocationRule, cutoff: boolean): void {
    if (slot === undefined || slot < 0 || found.corrupt !== undefined) return;
    if ((this.#expiries[slot] as number) <= found.now) return;
    const sinceMs = storedInstantMs(this.#values[slot] as number);
    if (!Number.isFinite(sinceMs)) found.corrupt = rule;
    else if (!cutoff) found.outright = [...(found.outright ?? []), { rule, sinceMs }];
    else if (found.issued <= sinceMs) found.cutoffs = [...(found.cutoffs ?? []), { rule, sinceMs }];
  }

  /**
   * Where a storage key's rule is held (`<prefix>rv:t:<len>:<iss>:<jti>`, `…rv:s:<sub>`,
   * `…rv:c:<len>:<name>=<value>`, `…rv:k:<kid>`, `…rv:all`), its parts copied out of the entry's
   * text so the map does not keep that text alive; undefined for a key of no rule (ignored, as a
   * lookup never reads it).
   */
  #placeOf(key: string): { get(): number; set(slot: number): void; remove(): void } | undefined {
    if (!key.startsWith(this.#prefix)) return undefined;
    const at = this.#prefix.length;
    if (key === `${this.#prefix}all`)
      return {
        get: () => this.#all,
        set: (slot) => (this.#all = slot),
        remove: () => (this.#all = -1),
      };
    const kind = key.slice(at, at + 2);
    const rest = key.slice(at + 2);
    if (kind === "s:") return inMap(this.#subjects, own(rest));
    if (kind === "k:") return inMap(this.#kids, own(rest));
    const [first, second] =
      kind === "t:" ? lengthPrefixed(rest, ":") : kind === "c:" ? lengthPrefixed(rest, "=") : [];
    if (first === undefined || second === undefined) return undefined;
    const outer = kind === "t:" ? this.#tokens : this.#claims;
    const name = own(first);
    let inner = outer.get(name);
    const found = inner?.get(second);
    return {
      get: () => found ?? -1,
      set: (slot) => {
        if (inner === undefined) {
          inner = new Map();
          outer.set(name, inner);
        }
        inner.set(own(second), slot);
      },
      remove: () => {
        inner?.delete(second);
        if (inner?.size === 0) outer.delete(name);
      },
    };
  }

  #take(): number {
    this.#size++;
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    if (this.#next === this.#values.length) {
      const grow = (from: Float64Array) => {
        const to = new Float64Array(from.length * 2);
        to.set(from);
        return to;
      };
      this.#values = grow(this.#values);
      this.#expiries = grow(this.#expiries);
    }
    return this.#next++;
  }

  #release(slot: number, remove: () => void): void {
    remove();
    this.#free.push(slot);
    this.#size--;
  }
}

function inMap(map: Map<string, number>, key: string) {
  return {
    get: () => map.get(key) ?? -1,
    set: (slot: number) => void map.set(key, slot),
    remove: () => void map.delete(key),
  };
}

/** `<length>:<first><separator><second>`: the first part's length makes the split unambiguous. */
function lengthPrefixed(text: string, separator: string): [string, string] | [] {
  const colon = text.indexOf(":");
  const length = Number(text.slice(0, colon));
  if (colon < 1 || !Number.isInteger(length) || length < 0) return [];
  const first = text.slice(colon + 1, colon + 1 + length);
  if (text[colon + 1 + length] !== separator) return [];
  return [first, text.slice(colon + 2 + length)];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A copy of `text` that holds its own characters: a slice of a longer string keeps all of it
 * alive (V8 slices strings of 13 characters or more), and a mirror keeps its keys for as long as
 * their rules live. Only when rules arrive, never on a check.
 */
function own(text: string): string {
  return text.length < 13 ? text : decoder.decode(encoder.encode(text));
}
