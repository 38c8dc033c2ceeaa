import { createCipheriv, createDecipheriv } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeBase64url, encodeBase64url } from "../../../../shared/kernel/base64url.ts";
import { StoreUnavailable, UsageError } from "../../../../shared/kernel/errors.ts";
import { generateKey } from "../../../../shared/keyring/generate.ts";
import type { KeyRecord } from "../../../../shared/keyring/key.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import {
  activateKey,
  createKeyring,
  destroyKey,
  emergencyRotate,
  publishKey,
  retireKey,
} from "../../../../shared/keyring/transitions.ts";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import { createSealer, type OpenResult } from "../../../../shared/sealing/sealer.ts";
import { createSigner } from "../../../../shared/tokens/signer.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk } from "../../../support/keyrings.ts";

const random = seededRandom("sealing");
const hex = (text: string) => Uint8Array.from(Buffer.from(text, "hex"));
const DAY = 86_400_000;

/** A sealer over a fixed keyring (the cache's answer), counting usage. */
function sealerOver(keyring: () => Keyring) {
  const usage: [string, string][] = [];
  const sealer = createSealer({
    keyrings: { get: async () => ({ ok: true, keyring: keyring(), ageMs: 0, stale: false }) },
    recordUsage: (kid, outcome) => usage.push([kid, outcome]),
  });
  return { sealer, usage };
}

async function sessionsKeyring(now = T0): Promise<Keyring> {
  return createKeyring(await generateKey("A256GCM", now, random), now);
}

function withMaterial(key: KeyRecord, material: Uint8Array): KeyRecord {
  return { ...key, jwk: { kty: "oct", k: encodeBase64url(material) } };
}

// AES-256 cases of "The Galois/Counter Mode of Operation (GCM)" (McGrew and Viega, the NIST
// submission), test cases 13 to 16: key, IV, AAD, plaintext, ciphertext, tag.
const GCM_VECTORS = [
  ["13", "00".repeat(32), "00".repeat(12), "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"],
  [
    "14",
    "00".repeat(32),
    "00".repeat(12),
    "",
    "00".repeat(16),
    "cea7403d4d606b6e074ec5d3baf39d18",
    "d0d1c8a799996bf0265b98b5d48ab919",
  ],
  [
    "15",
    "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
    "cafebabefacedbaddecaf888",
    "",
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
    "b094dac5d93471bdec1a502270e3cc6c",
  ],
  [
    "16",
    "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
    "cafebabefacedbaddecaf888",
    "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
    "76fc6ece0f4e1768cddf8853bb2d551b",
  ],
] as const;

describe("createSealer (keyward/sessions)", () => {
  for (const [name, key, iv, aad, plaintext, ciphertext, tag] of GCM_VECTORS) {
    it(`opens GCM test case ${name} (AES-256) written as a v1 envelope, and refuses it with a flipped tag`, async () => {
      const ring = await sessionsKeyring();
      const keyed = { ...ring, keys: [withMaterial(ring.keys[0]!, hex(key))] };
      const { sealer } = sealerOver(() => keyed);
      const kid = keyed.keys[0]!.kid;
      const envelope = `v1.${kid}.${encodeBase64url(hex(iv))}.${encodeBase64url(hex(ciphertext + tag))}`;
      const opened = await sealer.open(envelope, { aad: hex(aad) });
      expect(opened).toMatchObject({ ok: true, kid, reseal: false });
      expect(Buffer.from((opened as { plaintext: Uint8Array }).plaintext).toString("hex")).toBe(
        plaintext,
      );
      const badTag = tag.slice(0, -2) + (tag.endsWith("00") ? "01" : "00");
      const forged = `v1.${kid}.${encodeBase64url(hex(iv))}.${encodeBase64url(hex(ciphertext + badTag))}`;
      expect(await sealer.open(forged, { aad: hex(aad) })).toEqual({
        ok: false,
        reason: "tampered",
        kid,
      });
    });
  }

  it("seals what an independent AES-256-GCM (node:crypto) opens, with the kid, the IV and the AAD as written", async () => {
    const ring = await sessionsKeyring();
    const { sealer } = sealerOver(() => ring);
    const envelope = await sealer.seal("session data", { aad: "session-42" });
    const [version, kid, iv, sealed] = envelope.split(".");
    expect([version, kid]).toEqual(["v1", ring.keys[0]!.kid]);
    const bytes = decodeBase64url(sealed)!;
    const decipher = createDecipheriv(
      "aes-256-gcm",
      decodeBase64url(ring.keys[0]!.jwk!.k)!,
      decodeBase64url(iv)!,
    );
    decipher.setAAD(Buffer.from("session-42"));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plain = Buffer.concat([
      decipher.update(bytes.subarray(0, bytes.length - 16)),
      decipher.final(),
    ]);
    expect(plain.toString()).toBe("session data");
  });

  it("refuses an envelope with any one byte changed, never opening it", async () => {
    const ring = await sessionsKeyring();
    const { sealer } = sealerOver(() => ring);
    const envelope = await sealer.seal("a session of some length, to flip every byte of", {
      aad: "s1",
    });
    const [, kid, ivText, sealedText] = envelope.split(".") as [string, string, string, string];
    const iv = decodeBase64url(ivText)!;
    const sealed = decodeBase64url(sealedText)!;
    const outcomes: OpenResult[] = [];
    for (const [part, bytes] of [
      ["iv", iv],
      ["sealed", sealed],
    ] as const) {
      for (let i = 0; i < bytes.length; i++) {
        const flipped = Uint8Array.from(bytes);
        flipped[i] = (flipped[i] ?? 0) ^ 0x01;
        const text =
          part === "iv"
            ? `v1.${kid}.${encodeBase64url(flipped)}.${sealedText}`
            : `v1.${kid}.${ivText}.${encodeBase64url(flipped)}`;
        outcomes.push(await sealer.open(text, { aad: "s1" }));
      }
    }
    // Every character of the text too: the version, the kid and the separators.
    for (let i = 0; i < envelope.length; i++) {
      const code = envelope.charCodeAt(i);
      const changed = `${envelope.slice(0, i)}${String.fromCharCode(code === 65 ? 66 : 65)}${envelope.slice(i + 1)}`;
      if (changed !== envelope) outcomes.push(await sealer.open(changed, { aad: "s1" }));
    }
    expect(outcomes.length).toBeGreaterThan(iv.length + sealed.length);
    expect(outcomes.filter((o) => o.ok)).toEqual([]);
    expect(new Set(outcomes.map((o) => (o.ok ? "opened" : o.reason)))).toEqual(
      new Set(["tampered", "unknown_kid", "malformed"]),
    );
    expect(await sealer.open(envelope, { aad: "s2" })).toMatchObject({ reason: "tampered" });
    expect(await sealer.open(envelope)).toMatchObject({ reason: "tampered" });
    expect(await sealer.open(envelope, { aad: "s1" })).toMatchObject({ ok: true });
  });

  it("never repeats an IV over 1,000,000 seals", { timeout: 180_000 }, async () => {
    const ring = await sessionsKeyring();
    const { sealer } = sealerOver(() => ring);
    const ivs = new Set<string>();
    for (let batch = 0; batch < 1_000; batch++) {
      const envelopes = await Promise.all(Array.from({ length: 1_000 }, () => sealer.seal("x")));
      for (const envelope of envelopes) ivs.add(envelope.split(".")[2] as string);
    }
    expect(ivs.size).toBe(1_000_000);
  });

  it("opens under a previous key and asks for a reseal; under current, no reseal; counts each open for its key", async () => {
    let ring = await sessionsKeyring();
    const first = ring.keys[0]!.kid;
    const { sealer, usage } = sealerOver(() => ring);
    const old = await sealer.seal("old");
    const next = await generateKey("A256GCM", T0 + DAY, random);
    ring = expectOk(
      activateKey(expectOk(publishKey(ring, next, T0 + DAY)), next.kid, T0 + 2 * DAY),
    );
    expect(await sealer.open(old)).toMatchObject({ ok: true, kid: first, reseal: true });
    const fresh = await sealer.seal("new");
    expect(fresh.split(".")[1]).toBe(next.kid);
    expect(await sealer.open(fresh)).toMatchObject({ ok: true, kid: next.kid, reseal: false });
    expect(usage).toEqual([
      [first, "verified"],
      [next.kid, "verified"],
    ]);
  });

  it("tells a retired, a compromised and a destroyed key apart from tampering, and counts the refusals", async () => {
    let ring = await sessionsKeyring();
    const { sealer, usage } = sealerOver(() => ring);
    const sealed = await sealer.seal("s");
    const kid = ring.keys[0]!.kid;
    const next = await generateKey("A256GCM", T0 + DAY, random);
    ring = expectOk(
      activateKey(expectOk(publishKey(ring, next, T0 + DAY)), next.kid, T0 + 2 * DAY),
    );
    const retired = expectOk(retireKey(ring, kid, T0 + 10 * DAY));
    ring = retired;
    expect(await sealer.open(sealed)).toEqual({ ok: false, reason: "key_retired", kid });
    ring = expectOk(destroyKey(retired, kid, T0 + 20 * DAY));
    expect(await sealer.open(sealed)).toEqual({ ok: false, reason: "key_destroyed", kid });
    ring = await sessionsKeyring(T0);
    const leaked = await sealer.seal("leaked");
    const replacement = await generateKey("A256GCM", T0 + DAY, random);
    ring = expectOk(emergencyRotate(ring, replacement, T0 + DAY));
    expect(await sealer.open(leaked)).toMatchObject({ ok: false, reason: "key_compromised" });
    expect(usage.filter(([, outcome]) => outcome === "refused")).toHaveLength(3);
  });

  it("answers malformed for anything that is no envelope, and never throws", async () => {
    const ring = await sessionsKeyring();
    const { sealer } = sealerOver(() => ring);
    for (const input of [
      undefined,
      null,
      42,
      {},
      "",
      "v1",
      "v1...",
      "v2.a.b.c",
      "x".repeat(2_000_000),
    ])
      expect(await sealer.open(input)).toMatchObject({ ok: false, reason: "malformed" });
    const unknown = `v1.${"k".repeat(22)}.${encodeBase64url(new Uint8Array(12))}.${encodeBase64url(new Uint8Array(20))}`;
    expect(await sealer.open(unknown)).toEqual({ ok: false, reason: "unknown_kid" });
  });

  it("opens a legacy envelope (base64 of IV, ciphertext and tag, no kid) with the imported key, and asks for a reseal once it is previous", async () => {
    const material = Uint8Array.from({ length: 32 }, (_, i) => i);
    const imported = withMaterial(await generateKey("A256GCM", T0, random), material);
    let ring = createKeyring({ ...imported, legacy: true }, T0);
    const { sealer } = sealerOver(() => ring);
    const iv = Uint8Array.from({ length: 12 }, (_, i) => 100 + i);
    const cipher = createCipheriv("aes-256-gcm", material, iv);
    const legacy = Buffer.concat([
      iv,
      cipher.update("from before keyward"),
      cipher.final(),
      cipher.getAuthTag(),
    ]).toString("base64");
    const opened = await sealer.open(legacy);
    expect(opened).toMatchObject({ ok: true, kid: imported.kid, reseal: true });
    expect(Buffer.from((opened as { plaintext: Uint8Array }).plaintext).toString()).toBe(
      "from before keyward",
    );
    const next = await generateKey("A256GCM", T0 + DAY, random);
    ring = expectOk(
      activateKey(expectOk(publishKey(ring, next, T0 + DAY)), next.kid, T0 + 2 * DAY),
    );
    expect(await sealer.open(legacy)).toMatchObject({ ok: true, reseal: true });
    ring = expectOk(retireKey(ring, imported.kid, T0 + 10 * DAY));
    expect(await sealer.open(legacy)).toMatchObject({ ok: false, reason: "key_retired" });
    const strict = createSealer({
      keyrings: { get: async () => ({ ok: true, keyring: ring, ageMs: 0, stale: false }) },
      legacy: false,
    });
    expect(await strict.open(legacy)).toMatchObject({ ok: false, reason: "malformed" });
  });

  it("refuses an envelope over its length bound (64 KiB, configurable) before decoding it, and seals nothing over it", async () => {
    const material = Uint8Array.from({ length: 32 }, (_, i) => i);
    const imported = withMaterial(await generateKey("A256GCM", T0, random), material);
    const ring = createKeyring({ ...imported, legacy: true }, T0);
    const legacyOf = (plaintext: Buffer) => {
      const iv = new Uint8Array(12);
      const cipher = createCipheriv("aes-256-gcm", material, iv);
      return Buffer.concat([
        iv,
        cipher.update(plaintext),
        cipher.final(),
        cipher.getAuthTag(),
      ]).toString("base64");
    };
    const { sealer } = sealerOver(() => ring);
    // A 1 MiB legacy envelope (valid base64, a matching tag) is refused unread.
    const huge = legacyOf(Buffer.alloc(786_400));
    expect(huge.length).toBeGreaterThan(1_000_000);
    expect(await sealer.open(huge)).toEqual({ ok: false, reason: "malformed" });
    // Just under the bound, it opens.
    const large = legacyOf(Buffer.alloc(49_000));
    expect(large.length).toBeLessThanOrEqual(64 * 1024);
    expect(await sealer.open(large)).toMatchObject({ ok: true, kid: imported.kid });
    const small = createSealer({
      keyrings: { get: async () => ({ ok: true, keyring: ring, ageMs: 0, stale: false }) },
      maxEnvelopeLength: 2048,
    });
    expect(await small.open(large)).toEqual({ ok: false, reason: "malformed" });
    await expect(small.seal("x".repeat(4096))).rejects.toThrow("over maxEnvelopeLength (2048)");
    expect(await small.open(await small.seal("x".repeat(1000)))).toMatchObject({ ok: true });
  });

  it("refuses, when it is made, a legacy layout Node cannot open and a length bound out of range", () => {
    const keyrings = {
      get: async () => ({ ok: false as const, reason: "keyring_unavailable" as const }),
    };
    expect(() =>
      createSealer({
        keyrings,
        legacy: { encoding: "hex" as never, ivBytes: 0 },
        maxEnvelopeLength: 10,
      }),
    ).toThrow(
      expect.objectContaining({
        code: "config_invalid",
        problems: [
          "legacy.encoding must be base64 or base64url",
          "legacy.ivBytes must be a whole number of bytes from 1 to 255 (12 is AES-GCM's own)",
          "maxEnvelopeLength must be a whole number of characters from 1024 to 1048576",
        ],
      }),
    );
    expect(() => createSealer({ keyrings, legacy: { encoding: "base64", ivBytes: 256 } })).toThrow(
      "legacy.ivBytes",
    );
  });

  it("keeps the kinds apart: no sealing with a signing keyring, no signing or verifying with a sealing key", async () => {
    const signing = createKeyring(await generateKey("HS256", T0, random), T0);
    const { sealer } = sealerOver(() => signing);
    await expect(sealer.seal("x")).rejects.toThrow("cannot seal");
    const sessions = await sessionsKeyring();
    const kid = sessions.keys[0]!.kid;
    await expect(createSigner().sign(sessions, { sub: "alice" }, T0)).rejects.toThrow(
      "cannot sign",
    );
    const part = (value: object) =>
      encodeBase64url(new TextEncoder().encode(JSON.stringify(value)));
    const token = `${part({ alg: "A256GCM", kid })}.${part({ sub: "alice", exp: T0 / 1000 + 60 })}.c2ln`;
    expect(await createVerifier().verify(token, sessions, T0)).toMatchObject({
      ok: false,
      reason: "alg_not_allowed",
    });
  });

  it("refuses to seal a session meant to outlive the maximum session lifetime (the retirement bound)", async () => {
    const ring = await sessionsKeyring();
    const clock = { now: () => T0 };
    const sealer = createSealer({
      keyrings: { get: async () => ({ ok: true, keyring: ring, ageMs: 0, stale: false }) },
      clock,
      maxSessionLifetimeSeconds: 3600,
    });
    await expect(sealer.seal("s", { expiresAtMs: T0 + 3600_000 })).resolves.toMatch(/^v1\./);
    await expect(sealer.seal("s", { expiresAt: new Date(T0 + 3600_000) })).resolves.toMatch(
      /^v1\./,
    );
    await expect(sealer.seal("s", { expiresAtMs: T0 + 3600_001 })).rejects.toThrow(
      "at most the maximum session lifetime (3600 s)",
    );
    await expect(sealer.seal("s", { expiresAtMs: Number.NaN })).rejects.toThrow(UsageError);
    // A number where a Date belongs says which name takes milliseconds.
    await expect(sealer.seal("s", { expiresAt: (T0 + 1000) as unknown as Date })).rejects.toThrow(
      "use expiresAtMs",
    );
  });

  it("refuses a session under a key an emergency revoked at its next open, while the cached keyring still says current", async () => {
    const ring = await sessionsKeyring();
    const clock = { now: () => T0 };
    const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
    const revocations = new MemoryRevocationStore(timing, clock);
    const usage: [string, string][] = [];
    const sealer = createSealer({
      keyrings: { get: async () => ({ ok: true, keyring: ring, ageMs: 0, stale: false }) },
      revocations,
      clock,
      recordUsage: (kid, outcome) => usage.push([kid, outcome]),
    });
    const kid = ring.keys[0]!.kid;
    const sealed = await sealer.seal("cart=3", { aad: "sid" });
    // A forced logout of every token is not a key rule: sessions keep opening.
    await revocations.revoke([{ kind: "all" }, { kind: "subject", sub: "alice" }], T0);
    expect(await sealer.open(sealed, { aad: "sid" })).toMatchObject({ ok: true, reseal: false });
    await revocations.revoke([{ kind: "kid", kid }], T0);
    expect(await sealer.open(sealed, { aad: "sid" })).toEqual({
      ok: false,
      reason: "key_revoked",
      kid,
    });
    // A forged envelope naming the key is refused as tampered, before any store round trip.
    const forged = `${sealed.slice(0, -2)}${sealed.endsWith("AA") ? "AB" : "AA"}`;
    expect(await sealer.open(forged, { aad: "sid" })).toMatchObject({ reason: "tampered" });
    expect(usage).toEqual([
      [kid, "verified"],
      [kid, "refused"],
    ]);
  });

  it("refuses when the revocation store does not answer (closed, the default) and opens with failure mode open", async () => {
    const ring = await sessionsKeyring();
    // A stub, only to inject the fault the real stores raise when their budget runs out.
    const down = {
      check: async () => {
        throw new StoreUnavailable("revocation store did not answer within 100 ms");
      },
    };
    const keyrings = {
      get: async () => ({ ok: true as const, keyring: ring, ageMs: 0, stale: false }),
    };
    const closed = createSealer({ keyrings, revocations: down });
    const sealed = await closed.seal("s");
    expect(await closed.open(sealed)).toMatchObject({ ok: false, reason: "store_unavailable" });
    const open = createSealer({ keyrings, revocations: down, failureMode: "open" });
    expect(await open.open(sealed)).toMatchObject({ ok: true });
  });
});
