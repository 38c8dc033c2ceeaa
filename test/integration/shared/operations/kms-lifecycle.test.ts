import { randomUUID } from "node:crypto";
import { GetSecretValueCommand, ListSecretsCommand } from "@aws-sdk/client-secrets-manager";
import { describe, expect, inject, it } from "vitest";
import { type HttpTransport, platformTransport } from "../../../../shared/http/transport.ts";
import { createIssuer } from "../../../../shared/issuing/issuer.ts";
import { DAY, MINUTE } from "../../../../shared/kernel/clock.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import { prePublicationMs } from "../../../../shared/keyring/policy.ts";
import { kmsCustody, signingKeyTags } from "../../../../shared/keyring-store/kms-custody.ts";
import { kmsFromEnvironment } from "../../../../shared/keyring-store/kms-keys.ts";
import { SecretsManagerKeyringStore } from "../../../../shared/keyring-store/secrets-manager.ts";
import type { OperationDeps } from "../../../../shared/operations/deps.ts";
import { emergency } from "../../../../shared/operations/emergency.ts";
import { initKeyring } from "../../../../shared/operations/init.ts";
import { rotationJournal } from "../../../../shared/operations/journal.ts";
import { reinstate, rollbackKeys } from "../../../../shared/operations/rollback.ts";
import { noUsage, tick } from "../../../../shared/operations/tick.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { authorizerOn } from "../../../support/authorizer.ts";
import { httpApiEvent } from "../../../support/authorizer-events.ts";
import { motoEnvironment, secretsManagerClient } from "../../../support/aws.ts";
import { memoryOperations } from "../../../support/operation-deps.ts";

const request = { actor: "alice", reason: "test" };

/**
 * The operations on a signing keyring whose keys KMS holds: the keyring in Secrets Manager and
 * the keys in KMS, both moto's; the journal and revocations in memory; the clock the test's.
 */
async function kmsKeyring(kmsEndpoint?: string) {
  const { motoUrl } = inject("services");
  const prefix = `keyward/${randomUUID()}`;
  const secrets = secretsManagerClient(motoUrl);
  const made = await memoryOperations({
    policy: { algorithm: "ES256" },
    keyrings: () =>
      new SecretsManagerKeyringStore({
        client: secrets,
        prefix,
        clock: { now: () => made.clock.t },
        publishesPublicKeys: true,
      }),
  });
  const env = motoEnvironment(motoUrl);
  const kms = kmsFromEnvironment(env);
  // Every KMS operation keyward's writers call, as sent (the real transport, only watched).
  const operations = new Set<string>();
  const send = platformTransport();
  const watched: HttpTransport = (request) => {
    operations.add(request.headers["x-amz-target"] ?? "");
    return send(request);
  };
  const custodyOn = (endpoint: string, schedulesDeletion = true) =>
    kmsCustody({
      kms: kmsFromEnvironment({ ...env, AWS_ENDPOINT_URL_KMS: endpoint }, watched),
      random: made.deps.random,
      tags: signingKeyTags(prefix),
      schedulesDeletion,
    });
  const deps: OperationDeps = { ...made.deps, custody: custodyOn(kmsEndpoint ?? motoUrl) };
  const tickDeps = { ...deps, usage: noUsage };
  const load = async () => (await deps.keyrings.load()) as Keyring;
  const arnOf = async (kid: string) =>
    (await load()).keys.find((k) => k.kid === kid)?.kms?.arn ?? "";
  const stateOf = async (kid: string) => kms.state(await arnOf(kid));
  const kmsEntries = async () =>
    (await made.audit.read()).entries
      .filter((e) => e.action.startsWith("kms."))
      .map((e) => `${e.action} ${e.target}`)
      .reverse();
  /** `keyward init`: the keyring's first key, made in KMS; answers its kid. */
  const init = async () => {
    const result = await initKeyring(deps, request);
    if (!result.ok) throw new Error(result.message);
    return result.value.kid;
  };
  /** The clock moved by `ms`, then a tick of the rotation function. */
  const advance = (ms: number) => {
    made.clock.t += ms;
    return tick(tickDeps, made.clock.t);
  };
  return {
    ...made,
    ...{ deps, tickDeps, kms, load, stateOf, kmsEntries, prefix, secrets, custodyOn, operations },
    ...{ init, advance },
  };
}

describe("a signing keyring whose keys KMS holds, through its whole lifecycle (moto)", () => {
  it("creates each key in KMS, signs through it, disables a retired key, enables it on reinstate, and schedules a destroyed one's deletion, journaled with the date its material is gone", async () => {
    const k = await kmsKeyring();
    const { deps, clock } = k;
    const first = await k.init();
    expect((await k.load()).keys[0]).toMatchObject({
      kid: first,
      kms: { arn: expect.any(String) },
    });
    expect(await k.stateOf(first)).toBe("Enabled");

    const issuer = createIssuer({
      keyring: { load: k.load },
      kms: k.kms,
      clock,
      cacheTtlSeconds: 0,
    });
    const old = await issuer.issue({ sub: "alice" });
    expect(old.kid).toBe(first);

    // The scheduled rotation: published, then activated after its self-test through KMS.
    expect(
      await k.advance(deps.policy.rotationPeriodMs - prePublicationMs(deps.policy)),
    ).toMatchObject({
      status: "applied",
      actions: [{ type: "publish" }],
    });
    const second = (await k.load()).keys[1]?.kid ?? "";
    expect(await k.advance(prePublicationMs(deps.policy))).toMatchObject({
      actions: [{ type: "activate" }],
    });
    const activation = (await k.audit.read()).entries.find((e) => e.action === "policy.activate");
    expect(activation?.details).toMatchObject({ selfTest: "passed", replaces: first });
    const fresh = await issuer.issue({ sub: "bob" });
    expect(fresh.kid).toBe(second);

    // Past the maximum grace the first key retires: KMS disables it, and its tokens are refused.
    expect(await k.advance(deps.policy.maxGraceMs)).toMatchObject({
      actions: [{ type: "retire" }],
    });
    expect(await k.stateOf(first)).toBe("Disabled");
    const verifier = createVerifier({ cacheSize: 0 });
    expect(await verifier.verify(old.token, await k.load(), clock.t)).toMatchObject({
      ok: false,
      reason: "key_retired",
    });

    // Reinstated and rolled back to, it is enabled again and signs through KMS again.
    expect(await reinstate(deps, { ...request, kid: first })).toMatchObject({ ok: true });
    expect(await k.stateOf(first)).toBe("Enabled");
    expect(await rollbackKeys(deps, request)).toMatchObject({ ok: true, value: { kid: first } });
    const again = await issuer.issue({ sub: "carol" });
    expect(again.kid).toBe(first);
    expect(await verifier.verify(again.token, await k.load(), clock.t)).toMatchObject({ ok: true });

    // Rolled forward, retired and destroyed: its deletion is scheduled, not done at once.
    expect(await rollbackKeys(deps, request)).toMatchObject({ ok: true, value: { kid: second } });
    await k.advance(deps.policy.maxGraceMs);
    expect(await k.stateOf(first)).toBe("Disabled");
    expect(await k.advance(deps.policy.retentionMs)).toMatchObject({
      actions: [{ type: "destroy", kid: first }],
    });
    expect(await k.stateOf(first)).toBe("PendingDeletion");
    const deletion = (await k.audit.read()).entries.find(
      (e) => e.action === "kms.schedule-deletion",
    );
    expect(deletion).toMatchObject({ target: first, actor: "rotation", result: "ok" });
    const goneAt = Date.parse(String(deletion?.details?.materialGoneAt));
    expect(goneAt - Date.now()).toBeGreaterThan(6 * DAY);
    expect(goneAt - Date.now()).toBeLessThan(8 * DAY);

    // The rotation journal shows the day the material is gone beside the destruction.
    const journal = await rotationJournal({ audit: k.audit }, 0);
    const phases = journal.flatMap((record) => record.phases.map((p) => p.phase));
    expect(phases).toContain(`${first} destroyed`);
    expect(phases).toContain(
      `${first}'s KMS key deleted by ${new Date(goneAt).toISOString().slice(0, 10)}`,
    );

    // A tick repeats nothing: KMS is already in line.
    const before = await k.kmsEntries();
    await k.advance(MINUTE);
    expect(await k.kmsEntries()).toEqual(before);
    // The writers never asked KMS for private material, nor to sign: only these operations were
    // ever called (a KMS asymmetric key has no export; GenerateDataKeyPair, the one call that
    // returns a private key, is never among them). The issuer above only called Sign.
    expect([...k.operations].sort()).toEqual(
      [
        "CreateKey",
        "DescribeKey",
        "DisableKey",
        "EnableKey",
        "GetPublicKey",
        "ScheduleKeyDeletion",
      ].map((op) => `TrentService.${op}`),
    );
    expect(before).toEqual([
      `kms.disable ${first}`,
      `kms.enable ${first}`,
      `kms.disable ${first}`,
      `kms.schedule-deletion ${first}`,
    ]);
  }, 60_000);

  it("an emergency disables every compromised key at once and its new key signs through KMS", async () => {
    const k = await kmsKeyring();
    const { deps, clock } = k;
    const first = await k.init();
    await k.advance(deps.policy.rotationPeriodMs - prePublicationMs(deps.policy));
    const pending = (await k.load()).keys[1]?.kid ?? "";
    expect(await k.stateOf(pending)).toBe("Enabled");
    const issuer = createIssuer({
      keyring: { load: k.load },
      kms: k.kms,
      clock,
      cacheTtlSeconds: 0,
    });
    const leaked = await issuer.issue({ sub: "mallory" });

    const result = await emergency(deps, request);
    if (!result.ok) throw new Error(result.message);
    expect(await k.stateOf(first)).toBe("Disabled");
    expect(await k.stateOf(pending)).toBe("Disabled");
    expect(await k.stateOf(result.value.kid)).toBe("Enabled");
    expect(await createVerifier().verify(leaked.token, await k.load(), clock.t)).toMatchObject({
      ok: false,
      reason: "key_compromised",
    });
    const after = await issuer.issue({ sub: "alice" });
    expect(after.kid).toBe(result.value.kid);
    expect(await createVerifier().verify(after.token, await k.load(), clock.t)).toMatchObject({
      ok: true,
    });
    const entry = (await k.audit.read()).entries.find((e) => e.action === "rotate.immediate");
    expect(entry?.details).toMatchObject({ selfTest: "passed" });
  }, 60_000);

  it("a retirement committed while KMS did not answer is carried out by the next tick", async () => {
    const k = await kmsKeyring();
    const { deps, clock } = k;
    const first = await k.init();
    await k.advance(deps.policy.rotationPeriodMs - prePublicationMs(deps.policy));
    await k.advance(prePublicationMs(deps.policy));
    // KMS unreachable (a closed port): the retirement still commits; the key stays enabled.
    clock.t += deps.policy.maxGraceMs;
    const cutOff = { ...k.tickDeps, custody: k.custodyOn("http://127.0.0.1:9") };
    expect(await tick(cutOff, clock.t)).toMatchObject({ actions: [{ type: "retire" }] });
    expect((await k.load()).keys[0]?.status).toBe("retired");
    expect(await k.stateOf(first)).toBe("Enabled");
    expect(await k.advance(MINUTE)).toMatchObject({ status: "idle" });
    expect(await k.stateOf(first)).toBe("Disabled");
  }, 60_000);

  it("a writer without the power to delete (the ops API) leaves a destroyed key's deletion to the rotation function", async () => {
    const k = await kmsKeyring();
    const { deps, clock } = k;
    const first = await k.init();
    for (const step of [
      deps.policy.rotationPeriodMs,
      prePublicationMs(deps.policy),
      deps.policy.maxGraceMs,
    ]) {
      await k.advance(step);
    }
    clock.t += deps.policy.retentionMs;
    const opsApi = { ...k.tickDeps, custody: k.custodyOn(inject("services").motoUrl, false) };
    expect(await tick(opsApi, clock.t)).toMatchObject({ actions: [{ type: "destroy" }] });
    expect(await k.stateOf(first)).toBe("Disabled");
    await k.advance(MINUTE);
    expect(await k.stateOf(first)).toBe("PendingDeletion");
  }, 60_000);

  it("the authorizer, reading the keyring from Secrets Manager as deployed, accepts a token KMS signed", async () => {
    const k = await kmsKeyring();
    k.clock.t = Date.now();
    const first = await k.init();
    const issuer = createIssuer({ keyring: { load: k.load }, kms: k.kms });
    const { token } = await issuer.issue({ sub: "alice" });
    const authorizer = await authorizerOn(
      motoEnvironment(inject("services").motoUrl),
      k.prefix,
      inject("services"),
    );
    expect(await authorizer(httpApiEvent({ authorization: `Bearer ${token}` }))).toMatchObject({
      isAuthorized: true,
      context: { sub: "alice", kid: first },
    });
  }, 60_000);

  it("keeps no key material in Secrets Manager: no secret per key, and the state holds public halves only", async () => {
    const k = await kmsKeyring();
    await k.init();
    await k.advance(k.deps.policy.rotationPeriodMs - prePublicationMs(k.deps.policy));
    const listed = await k.secrets.send(
      new ListSecretsCommand({ Filters: [{ Key: "name", Values: [`${k.prefix}/`] }] }),
    );
    expect(listed.SecretList?.map((s) => s.Name).sort()).toEqual(
      [`${k.prefix}/keyring`, `${k.prefix}/public/jwks`].sort(),
    );
    const state = JSON.parse(
      (await k.secrets.send(new GetSecretValueCommand({ SecretId: `${k.prefix}/keyring` })))
        .SecretString ?? "{}",
    ) as { keys: { jwk?: Record<string, unknown>; kms?: { arn: string } }[] };
    expect(state.keys).toHaveLength(2);
    for (const key of state.keys) {
      expect(key.kms?.arn).toMatch(/^arn:aws:kms:/);
      expect(Object.keys(key.jwk ?? {}).sort()).toEqual(["crv", "kty", "x", "y"]);
    }
  }, 60_000);
});
