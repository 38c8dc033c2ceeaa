import { describe, expect, it } from "vitest";
import { DAY } from "../../../../shared/kernel/clock.ts";
import {
  consumerOf,
  consumerText,
  MemoryJwksConsumers,
  parseConsumer,
} from "../../../../shared/receipts/jwks-consumer.ts";
import { T0 } from "../../../support/deterministic.ts";

describe("JWKS consumers", () => {
  it("tell a consumer by its agent and its source network, not its exact address", () => {
    const a = consumerOf("PyJWT/2.8", "203.0.113.9", T0);
    expect(a).toMatchObject({ agent: "PyJWT/2.8", source: "203.0.113.0/24", fetchedAt: T0 });
    expect(a.consumer).toMatch(/^[0-9a-f]{16}$/);
    expect(consumerOf("PyJWT/2.8", "203.0.113.200", T0).consumer).toBe(a.consumer);
    expect(consumerOf("PyJWT/2.8", "198.51.100.9", T0).consumer).not.toBe(a.consumer);
    expect(consumerOf("jose/5", "203.0.113.9", T0).consumer).not.toBe(a.consumer);
  });

  it("reads IPv6 by its /48 and IPv4-mapped addresses as IPv4, and says unknown for anything else", () => {
    expect(consumerOf("x", "2001:db8:abcd:12::1", T0).source).toBe("2001:db8:abcd::/48");
    expect(consumerOf("x", "2001:db8::1", T0).source).toBe("2001:db8:0::/48");
    expect(consumerOf("x", "::ffff:192.0.2.7", T0).source).toBe("192.0.2.0/24");
    expect(consumerOf("x", undefined, T0).source).toBe("unknown");
    expect(consumerOf("x", "not an address", T0).source).toBe("unknown");
  });

  it("keeps an agent printable and short: control characters go, 120 characters at most", () => {
    expect(consumerOf("evil\u001b[2Jagent\n", "203.0.113.9", T0).agent).toBe("evil[2Jagent");
    expect(consumerOf("a".repeat(500), undefined, T0).agent).toHaveLength(120);
    expect(consumerOf(undefined, undefined, T0).agent).toBe("unknown");
    expect(consumerText(consumerOf("PyJWT/2.8", "203.0.113.9", T0))).toBe(
      `jwks "PyJWT/2.8" from 203.0.113.0/24 (last fetched ${new Date(T0).toISOString()})`,
    );
  });

  it("leaves out a stored consumer that does not read as one", () => {
    const good = consumerOf("PyJWT/2.8", "203.0.113.9", T0);
    expect(parseConsumer(JSON.stringify(good))).toEqual(good);
    expect(parseConsumer("{")).toBeUndefined();
    expect(parseConsumer(JSON.stringify({ ...good, fetchedAt: "soon" }))).toBeUndefined();
    // A time no Date can hold would break every page that shows it.
    expect(parseConsumer(JSON.stringify({ ...good, fetchedAt: 1e16 }))).toBeUndefined();
    expect(parseConsumer(JSON.stringify({ ...good, consumer: "x".repeat(40) }))).toBeUndefined();
  });

  it("remembers each consumer's latest fetch for a day", async () => {
    const log = new MemoryJwksConsumers();
    await log.record(consumerOf("PyJWT/2.8", "203.0.113.9", T0));
    await log.record(consumerOf("PyJWT/2.8", "203.0.113.9", T0 + 1000));
    expect((await log.recent(T0 + 1000)).map((c) => c.fetchedAt)).toEqual([T0 + 1000]);
    expect(await log.recent(T0 + 1000 + DAY)).toEqual([]);
  });
});
