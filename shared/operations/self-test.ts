import { isVerifying, type KeyRecord, samePublicKey } from "../keyring/key.ts";
import { currentKey, findKey, type Keyring } from "../keyring/keyring.ts";
import type { KeyCustody } from "../keyring-store/custody.ts";
import { KmsUnavailable } from "../keyring-store/kms-keys.ts";
import { createSealer } from "../sealing/sealer.ts";
import { createSigner } from "../tokens/signer.ts";
import { createVerifier } from "../tokens/verifier.ts";
import { custodyOf, keyringKindOf, type OperationDeps } from "./deps.ts";

/** What a self-test learns from one probe: accepted (with the key's status), or refused and why. */
export type ProbeResult =
  | { readonly ok: true; readonly keyStatus: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Probes for a self-test: makes something with a keyring as an operation computed it (a token
 * signed with it, or a session sealed with it) and checks it against the keyring as stored, so a
 * corrupted write shows. Undefined if nothing is stored.
 */
async function storedKeyringProbe(
  deps: OperationDeps,
  now: number,
): Promise<((madeWith: Keyring) => Promise<ProbeResult>) | undefined> {
  const stored = await deps.keyrings.load();
  if (stored === undefined) return undefined;
  if (keyringKindOf(deps).protects === "sessions") {
    const fixed = (keyring: Keyring) => ({
      get: async () => ({ ok: true as const, keyring, ageMs: 0, stale: false }),
    });
    const opener = createSealer({ keyrings: fixed(stored), clock: { now: () => now } });
    return async (madeWith) => {
      const sealer = createSealer({ keyrings: fixed(madeWith), clock: { now: () => now } });
      const opened = await opener.open(await sealer.seal("keyward-self-test"));
      if (!opened.ok) return opened;
      const keyStatus = stored.keys.find((key) => key.kid === opened.kid)?.status ?? "unknown";
      return { ok: true, keyStatus };
    };
  }
  const signer = createSigner({ maxLifetimeSeconds: 60, lifetimeSeconds: 60, random: deps.random });
  const verifier = createVerifier({ cacheSize: 0 });
  const custody = custodyOf(deps);
  return async (madeWith) => {
    // The probe signs with the current key, whatever cohort a rolling rotation gives its subject.
    const { rollout: _, ...current } = madeWith;
    const key = currentKey(current);
    if (key.kms !== undefined) return heldInKmsProbe(custody, key, stored);
    return verifier.verify(
      await signer.sign(current, { sub: "keyward-self-test" }, now),
      stored,
      now,
    );
  };
}

/**
 * The probe of a key held in KMS. Signing is the issuers' power alone (IAM grants `kms:Sign` to
 * nobody else), so the writers prove what a signature would: the keyring as stored names the
 * key as one that verifies, with the public half KMS holds for its ARN, and KMS has it enabled.
 */
async function heldInKmsProbe(
  custody: KeyCustody,
  key: KeyRecord,
  stored: Keyring,
): Promise<ProbeResult> {
  const held = findKey(stored, key.kid);
  if (held === undefined) return { ok: false, reason: "unknown_kid" };
  if (held.compromised) return { ok: false, reason: "key_compromised" };
  if (!isVerifying(held.status)) return { ok: false, reason: "key_retired" };
  if (held.kms?.arn !== key.kms?.arn || !samePublicKey(held.jwk, key.jwk))
    return { ok: false, reason: "signature_invalid" };
  const problem = await custody
    .check(held)
    .catch((error: unknown) =>
      error instanceof KmsUnavailable
        ? `KMS did not answer (${error.awsType ?? error.code})`
        : Promise.reject(error),
    );
  return problem === undefined
    ? { ok: true, keyStatus: held.status }
    : { ok: false, reason: problem };
}

/**
 * A check after a commit: `before` and `intended` are the keyring before the operation and as it
 * computed it; answers what failed, in words, or undefined.
 */
export type SelfTest = (
  deps: OperationDeps,
  before: Keyring,
  intended: Keyring,
  now: number,
) => Promise<string | undefined>;

/** How a self-test's message names what it made: a token, or a session. */
function madeWith(deps: Pick<OperationDeps, "keyringName">): string {
  return keyringKindOf(deps).protects === "sessions" ? "a session sealed with" : "a token of";
}

/**
 * The runbook's verification table after a graceful activation: a token of the new key (as the
 * tick computed it) verifies as current against the keyring as stored, and so does one of the key
 * it replaced. Answers what failed, or undefined.
 */
export const activationSelfTest: SelfTest = (deps, before, intended, now) =>
  againstStored(deps, now, async (probe, made) => {
    const fresh = await probe(intended);
    if (!fresh.ok || fresh.keyStatus !== "current")
      return `${made} the new key is refused (${fresh.ok ? fresh.keyStatus : fresh.reason})`;
    const old = await probe(before);
    if (!old.ok) return `${made} the previous key is refused (${old.reason})`;
    return undefined;
  });

/** After an emergency, against the keyring as stored: a token of the old key is refused, one of the new key accepted. */
export const emergencySelfTest: SelfTest = (deps, before, intended, now) =>
  againstStored(deps, now, async (probe, made) => {
    const old = await probe(before);
    if (old.ok || old.reason !== "key_compromised")
      return `${made} the compromised key is not refused as such (${old.ok ? "allowed" : old.reason})`;
    const fresh = await probe(intended);
    if (!fresh.ok) return `${made} the new key is refused (${fresh.reason})`;
    return undefined;
  });

/** Runs `check` with a probe of the keyring as stored, and what the probe makes, in words. */
async function againstStored(
  deps: OperationDeps,
  now: number,
  check: (
    probe: (madeWith: Keyring) => Promise<ProbeResult>,
    made: string,
  ) => Promise<string | undefined>,
): Promise<string | undefined> {
  const probe = await storedKeyringProbe(deps, now);
  if (probe === undefined) return "the keyring vanished after the commit";
  return check(probe, madeWith(deps));
}
