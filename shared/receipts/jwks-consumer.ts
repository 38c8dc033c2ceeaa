import { createHash } from "node:crypto";
import { DAY } from "../kernel/clock.ts";
import { isInstant, isText } from "./receipt.ts";

/** A JWKS consumer counts for a pending key's activation while it fetched within this window. */
export const CONSUMER_WINDOW_MS = DAY;

/**
 * Someone who fetched the public JWKS: told apart by its user agent and the network it came
 * from, never by a credential (the JWKS takes none). Many services behind one NAT or CDN with one
 * agent are one consumer; one service whose address changes within its network stays one.
 */
export interface JwksConsumer {
  /** 16 hex characters of SHA-256 over the agent and the source. */
  readonly consumer: string;
  /** The `User-Agent`, cut to 120 characters; `unknown` without one. */
  readonly agent: string;
  /** The source network: an IPv4 /24 or an IPv6 /48; `unknown` when the runtime does not say. */
  readonly source: string;
  readonly fetchedAt: number;
}

/** Where fetches are recorded and read back. */
export interface JwksConsumerLog {
  record(consumer: JwksConsumer): Promise<void>;
  /** The consumers whose last fetch is within the window, the latest fetch of each. */
  recent(nowMs: number): Promise<readonly JwksConsumer[]>;
}

const MAX_AGENT = 120;

/** The consumer of a fetch now, from its `User-Agent` and source address. */
export function consumerOf(
  agent: string | undefined,
  address: string | undefined,
  nowMs: number,
): JwksConsumer {
  // Printable ASCII only: an agent string is shown to operators and put in events.
  const cleaned = (agent ?? "")
    .replace(/[^\x20-\x7e]/g, "")
    .slice(0, MAX_AGENT)
    .trim();
  const shownAgent = cleaned === "" ? "unknown" : cleaned;
  const source = networkOf(address);
  const consumer = createHash("sha256")
    .update(`${shownAgent}\n${source}`)
    .digest("hex")
    .slice(0, 16);
  return { consumer, agent: shownAgent, source, fetchedAt: nowMs };
}

/** An address's network: the /24 of an IPv4 address (also IPv4-mapped IPv6), the /48 of IPv6. */
function networkOf(address: string | undefined): string {
  if (address === undefined || address === "") return "unknown";
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/i.exec(address);
  if (v4 !== null) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (/^[0-9a-f:]+$/i.test(address) && address.includes(":")) {
    const groups = expandIpv6(address);
    if (groups !== undefined) return `${groups.slice(0, 3).join(":")}::/48`;
  }
  return "unknown";
}

function expandIpv6(address: string): string[] | undefined {
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] === "" ? [] : (halves[0] as string).split(":");
  const tail = halves.length === 1 || halves[1] === "" ? [] : (halves[1] as string).split(":");
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...Array(missing).fill("0"), ...tail];
  return groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))
    ? groups.map((g) => g.toLowerCase().replace(/^0+(?=.)/, ""))
    : undefined;
}

/** A stored consumer, checked field by field; anything else is left out. */
export function parseConsumer(text: string): JwksConsumer | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  const { consumer, agent, source, fetchedAt } = raw as Record<string, unknown>;
  if (!isText(consumer, 16) || !isText(agent, MAX_AGENT) || !isText(source, 64)) return undefined;
  if (!isInstant(fetchedAt)) return undefined;
  return { consumer, agent, source, fetchedAt };
}

/** Fetches kept in memory (the local stack, tests), each consumer dropped after the window. */
export class MemoryJwksConsumers implements JwksConsumerLog {
  readonly #latest = new Map<string, JwksConsumer>();

  async record(consumer: JwksConsumer): Promise<void> {
    this.#latest.set(consumer.consumer, consumer);
  }

  async recent(nowMs: number): Promise<readonly JwksConsumer[]> {
    for (const [key, { fetchedAt }] of this.#latest)
      if (nowMs - fetchedAt >= CONSUMER_WINDOW_MS) this.#latest.delete(key);
    return [...this.#latest.values()].sort((a, b) => a.consumer.localeCompare(b.consumer));
  }
}

/** A consumer as an operator reads it. */
export function consumerText(consumer: JwksConsumer): string {
  return `jwks "${consumer.agent}" from ${consumer.source} (last fetched ${new Date(consumer.fetchedAt).toISOString()})`;
}
