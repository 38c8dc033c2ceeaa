import { createHash } from "node:crypto";
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretListEntry,
  type SecretsManagerClient,
  type Tag,
} from "@aws-sdk/client-secrets-manager";
import { type Clock, HOUR, systemClock } from "../kernel/clock.ts";
import { KeywardError, StoreUnavailable } from "../kernel/errors.ts";
import { isVerifying, publicJwk } from "../keyring/key.ts";
import type { Keyring } from "../keyring/keyring.ts";
import {
  assembleKeyring,
  materialName,
  OWNER_TAG,
  publicKeysName,
  splitKeyring,
  stateName,
  storedKids,
  trimPrefix,
} from "./secrets-layout.ts";
import {
  assertValid,
  KeyringConflict,
  type KeyringStore,
  type StoredVersion,
  succession,
} from "./store.ts";

export interface SecretsManagerKeyringOptions {
  readonly client: SecretsManagerClient;
  /** Secret names start with this: `<prefix>/keyring` and `<prefix>/keys/<kid>`. */
  readonly prefix: string;
  readonly clock?: Clock;
  /** Material secrets that no committed keyring names are deleted once this old. Default 1 hour. */
  readonly orphanAgeMs?: number;
  /**
   * Whether this writer deletes material (destroyed keys, orphans) after a commit. Default true.
   * The ops API runs with false and no DeleteSecret permission: only the rotation function
   * destroys material, on its next tick.
   */
  readonly deletesMaterial?: boolean;
  /**
   * The deployment that owns the keyring (the construct's path, `KEYWARD_OWNER`): every secret
   * this store creates is tagged `keyward:owner` with it, and it deletes only secrets that carry
   * it (IAM says the same). Without it (local runs), secrets are untagged and deletion unchecked.
   */
  readonly owner?: string;
  /** Regions every secret is replicated to when created (`KEYWARD_REPLICA_REGIONS`). */
  readonly replicaRegions?: readonly string[];
  /** A customer-managed KMS key for every secret created (`KEYWARD_KMS_KEY_ID`). */
  readonly kmsKeyId?: string;
  /**
   * Writes the public keys (asymmetric keys that verify, with their status) to
   * `<prefix>/public/jwks` after each save, for the public JWKS function. The signing keyring's
   * writers do; never a sessions keyring.
   */
  readonly publishesPublicKeys?: boolean;
}

/** The state version of a revision: 32 to 64 characters, as Secrets Manager requires. */
function revisionToken(revision: number): string {
  return `keyward-revision-${String(revision).padStart(20, "0")}`;
}

/**
 * The keyring in AWS Secrets Manager.
 *
 * Layout: one secret per key, `<prefix>/keys/<kid>`, holding only that key's material, written
 * once; and one state secret, `<prefix>/keyring`, holding every key's metadata and no material.
 * Destroying a key deletes its secret with `ForceDeleteWithoutRecovery`, which removes every
 * version at once: no `VersionId` or stage can bring the material back. Old versions of the state
 * secret stay readable, which is harmless since they hold no material.
 *
 * A save is a sequence of idempotent steps with one commit point:
 *   1. read the state (AWSCURRENT): its revision must be the one the change was made from;
 *   2. create the material secrets of new kids (an existing one is left as is);
 *   3. commit: put the new state with `ClientRequestToken` = its revision. Secrets Manager refuses
 *      a second, different version under the same token, so of two writers that both read revision
 *      N, the second gets `KeyringConflict`, never a lost update; the same version again is a
 *      no-op. AWSCURRENT moves to it and AWSPREVIOUS to the old one (the recovery floor);
 *   4. reconcile: delete the material of destroyed keys, and of kids no keyring names that are
 *      older than `orphanAgeMs` (left by a crashed or losing writer).
 * Readers read AWSCURRENT only, so they see the old or the new keyring, whole. A crash anywhere is
 * repaired by saving again: a save of the keyring already stored only reconciles.
 *
 * Reading: one `BatchGetSecretValue` filtered on the prefix returns the state and every material
 * secret (up to 20 per call): a cold start costs one call.
 */
export class SecretsManagerKeyringStore implements KeyringStore {
  readonly #client: SecretsManagerClient;
  readonly #prefix: string;
  readonly #stateName: string;
  readonly #clock: Clock;
  readonly #orphanAgeMs: number;
  readonly #deletesMaterial: boolean;
  readonly #owner: string | undefined;
  readonly #created: {
    readonly Tags?: Tag[];
    readonly AddReplicaRegions?: { Region: string }[];
    readonly KmsKeyId?: string;
  };
  readonly #publishesPublicKeys: boolean;

  constructor(options: SecretsManagerKeyringOptions) {
    this.#client = options.client;
    this.#prefix = trimPrefix(options.prefix);
    this.#stateName = stateName(this.#prefix);
    this.#clock = options.clock ?? systemClock;
    this.#orphanAgeMs = options.orphanAgeMs ?? HOUR;
    this.#deletesMaterial = options.deletesMaterial ?? true;
    this.#owner = options.owner;
    const regions = options.replicaRegions ?? [];
    this.#created = {
      ...(options.owner === undefined ? {} : { Tags: [{ Key: OWNER_TAG, Value: options.owner }] }),
      ...(regions.length === 0 ? {} : { AddReplicaRegions: regions.map((Region) => ({ Region })) }),
      ...(options.kmsKeyId === undefined ? {} : { KmsKeyId: options.kmsKeyId }),
    };
    this.#publishesPublicKeys = options.publishesPublicKeys ?? false;
  }

  #materialName(kid: string): string {
    return materialName(this.#prefix, kid);
  }

  load(): Promise<Keyring | undefined> {
    return unavailableOnError(() => this.#load());
  }

  loadPrevious(): Promise<Keyring | undefined> {
    return unavailableOnError(() => this.#loadPrevious());
  }

  save(next: Keyring): Promise<void> {
    return unavailableOnError(() => this.#save(next));
  }

  async #load(): Promise<Keyring | undefined> {
    const secrets = new Map<string, string>();
    let nextToken: string | undefined;
    do {
      const page = await this.#client.send(
        new BatchGetSecretValueCommand({
          Filters: [{ Key: "name", Values: [`${this.#prefix}/`] }],
          MaxResults: 20,
          ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        }),
      );
      for (const secret of page.SecretValues ?? []) {
        if (secret.Name !== undefined && secret.SecretString !== undefined)
          secrets.set(secret.Name, secret.SecretString);
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    const state = secrets.get(this.#stateName);
    if (state === undefined) return undefined;
    return assembleKeyring(
      state,
      async (kid) => secrets.get(this.#materialName(kid)) ?? this.#readMaterial(kid),
    );
  }

  async #loadPrevious(): Promise<Keyring | undefined> {
    const state = await this.#readState("AWSPREVIOUS");
    if (state === undefined) return undefined;
    return assembleKeyring(state.text, (kid) => this.#readMaterial(kid), true);
  }

  async #save(next: Keyring): Promise<void> {
    assertValid(next);
    const stored = await this.#readState("AWSCURRENT");
    const { state, materials } = splitKeyring(next);
    const nextVersion: StoredVersion = { revision: next.revision, text: state };
    if (succession(stored, nextVersion) === "commit") {
      const known = new Set(stored === undefined ? [] : storedKids(stored.text));
      for (const [kid, material] of materials) {
        if (!known.has(kid)) await this.#createMaterial(kid, material);
      }
      if (stored === undefined) await this.#createState(nextVersion);
      else await this.#commitState(nextVersion);
    }
    // After the commit, and on every save (a crash in between is repaired by the next one).
    if (this.#publishesPublicKeys) await this.#publishPublicKeys(next);
    if (this.#deletesMaterial) await this.#reconcile(next);
  }

  /**
   * The public keys of the keys that verify, with their status, at `<prefix>/public/jwks`. The
   * version's token is the content's digest: the same keys again write nothing new.
   */
  async #publishPublicKeys(keyring: Keyring): Promise<void> {
    const keys = keyring.keys
      .filter((key) => isVerifying(key.status))
      .flatMap((key) => {
        const jwk = publicJwk(key);
        return jwk === undefined ? [] : [{ ...jwk, status: key.status }];
      });
    const text = JSON.stringify({ keys });
    const token = `keyward-${createHash("sha256").update(text).digest("hex").slice(0, 40)}`;
    const name = publicKeysName(this.#prefix);
    try {
      await this.#client.send(
        new PutSecretValueCommand({
          SecretId: name,
          SecretString: text,
          ClientRequestToken: token,
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      try {
        await this.#client.send(
          new CreateSecretCommand({
            Name: name,
            SecretString: text,
            ClientRequestToken: token,
            Description: "keyward: the keyring's public keys (JWKS); no material",
            ...this.#created,
          }),
        );
      } catch (raced) {
        if (!(raced instanceof ResourceExistsException)) throw raced;
      }
    }
  }

  async #readState(stage: string): Promise<StoredVersion | undefined> {
    try {
      const answer = await this.#client.send(
        new GetSecretValueCommand({ SecretId: this.#stateName, VersionStage: stage }),
      );
      if (answer.SecretString === undefined) return undefined;
      const revision = (JSON.parse(answer.SecretString) as { revision?: unknown }).revision;
      return { text: answer.SecretString, revision: Number(revision) };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  async #readMaterial(kid: string): Promise<string | undefined> {
    try {
      const answer = await this.#client.send(
        new GetSecretValueCommand({ SecretId: this.#materialName(kid) }),
      );
      return answer.SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  async #createMaterial(kid: string, material: string): Promise<void> {
    try {
      await this.#client.send(
        new CreateSecretCommand({
          Name: this.#materialName(kid),
          SecretString: material,
          Description: `keyward key ${kid}`,
          ...this.#created,
          Tags: [...(this.#created.Tags ?? []), { Key: "keyward:kid", Value: kid }],
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceExistsException)) throw error;
    }
  }

  async #createState(next: StoredVersion): Promise<void> {
    try {
      await this.#client.send(
        new CreateSecretCommand({
          Name: this.#stateName,
          SecretString: next.text,
          ClientRequestToken: revisionToken(next.revision),
          Description: "keyward keyring state (no key material)",
          ...this.#created,
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceExistsException)) throw error;
      if (succession(await this.#readState("AWSCURRENT"), next) === "commit") {
        throw new KeyringConflict("another writer created the keyring first");
      }
    }
  }

  async #commitState(next: StoredVersion): Promise<void> {
    try {
      await this.#client.send(
        new PutSecretValueCommand({
          SecretId: this.#stateName,
          SecretString: next.text,
          ClientRequestToken: revisionToken(next.revision),
        }),
      );
    } catch (error) {
      if (error instanceof ResourceExistsException) {
        throw new KeyringConflict(`another writer committed revision ${next.revision} first`);
      }
      throw error;
    }
  }

  async #reconcile(next: Keyring): Promise<void> {
    const status = new Map(next.keys.map((key) => [key.kid, key.status]));
    const orphanBefore = this.#clock.now() - this.#orphanAgeMs;
    const keysPrefix = `${this.#prefix}/keys/`;
    let nextToken: string | undefined;
    do {
      const page = await this.#client.send(
        new ListSecretsCommand({
          Filters: [{ Key: "name", Values: [keysPrefix] }],
          MaxResults: 100,
          ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        }),
      );
      for (const secret of page.SecretList ?? []) {
        const kid = secret.Name?.slice(keysPrefix.length);
        if (kid === undefined || secret.Name === undefined) continue;
        const keyStatus = status.get(kid);
        const orphan =
          keyStatus === undefined && (secret.CreatedDate?.getTime() ?? 0) < orphanBefore;
        if ((keyStatus === "destroyed" || orphan) && ownedBy(secret, this.#owner))
          await this.#deleteMaterial(secret.Name);
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
  }

  async #deleteMaterial(name: string): Promise<void> {
    try {
      await this.#client.send(
        new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }),
      );
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
}

/**
 * Whether a secret is `owner`'s to delete: it carries the owner tag with that value. Without an
 * owner (local runs) every secret under the prefix is. The IAM policy of a deployed writer says
 * the same; this is the code's own check.
 */
export function ownedBy(secret: Pick<SecretListEntry, "Tags">, owner: string | undefined): boolean {
  if (owner === undefined) return true;
  return (secret.Tags ?? []).some((tag) => tag.Key === OWNER_TAG && tag.Value === owner);
}

/**
 * Secrets Manager failing (throttled, unreachable, timing out) is a store that did not answer:
 * callers answer 503 and retry. keyward's own errors (a conflict, an invalid keyring) pass.
 */
async function unavailableOnError<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof KeywardError) throw error;
    throw new StoreUnavailable(`Secrets Manager did not answer (${(error as Error).name})`, {
      cause: error,
    });
  }
}
