import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { AuditJournal } from "../../shared/audit/journal.ts";
import { MemoryAuditJournal } from "../../shared/audit/memory.ts";
import { UpstashAuditJournal } from "../../shared/audit/upstash.ts";
import { AWS_CLIENT_LIMITS } from "../../shared/config/aws-env.ts";
import type { VerificationSettings } from "../../shared/config/verifier-config.ts";
import type { Clock } from "../../shared/kernel/clock.ts";
import { SECOND } from "../../shared/kernel/clock.ts";
import { type KeyringName, keyringSecretPrefix } from "../../shared/keyring/names.ts";
import { FileKeyringStore, localKeyringPath } from "../../shared/keyring-store/file.ts";
import { SecretsManagerKeyringStore } from "../../shared/keyring-store/secrets-manager.ts";
import type { KeyringStore } from "../../shared/keyring-store/store.ts";
import { type JwksConsumerLog, MemoryJwksConsumers } from "../../shared/receipts/jwks-consumer.ts";
import { MemoryReceipts, type ReceiptReader } from "../../shared/receipts/store.ts";
import { UpstashReceipts } from "../../shared/receipts/upstash.ts";
import { UpstashJwksConsumers } from "../../shared/receipts/upstash-jwks.ts";
import { MemoryRefreshStore } from "../../shared/refresh/memory.ts";
import type { RefreshStore } from "../../shared/refresh/store.ts";
import { UpstashRefreshStore } from "../../shared/refresh/upstash.ts";
import { MemoryRevocationStore } from "../../shared/revocation/memory.ts";
import type { RevocationTiming } from "../../shared/revocation/rules.ts";
import type { RevocationStore } from "../../shared/revocation/store.ts";
import { UpstashRevocationStore } from "../../shared/revocation/upstash.ts";
import { MemoryUsageStore, type UsageStore } from "../../shared/usage/counts.ts";
import { UpstashUsageStore } from "../../shared/usage/upstash.ts";
import type { RevocationSources } from "../../shared/verification/assembly.ts";
import { upstashRevocationSources } from "../../shared/verification/assembly.ts";
import type { LocalStores } from "./config.ts";

/** Every store the local stack's parts share. */
export interface LocalStoreSet {
  /** Each keyring's store: a file in the stack's folder, or Secrets Manager. */
  readonly keyrings: (name: KeyringName) => KeyringStore;
  /** Where operations write revocations. */
  readonly revocations: RevocationStore;
  /** Where the verifier reads them: per-request lookups and the change log. */
  readonly rules: RevocationSources;
  readonly audit: AuditJournal;
  readonly usage: UsageStore;
  /** The receipts the usage flushes carry: every verifier that reported within the window. */
  readonly receipts: ReceiptReader;
  /** Who fetched the local JWKS (`/.well-known/jwks.json`). */
  readonly jwksConsumers: JwksConsumerLog;
  readonly refresh: RefreshStore;
}

/**
 * The local stack's stores: keyrings in files (`keyring.json`, `sessions-keyring.json`), the rest
 * in memory (the memory revocation store is its own change log); or Secrets Manager and Upstash
 * when configured, through clients with time limits.
 */
export function localStores(
  stores: LocalStores,
  dir: string,
  verification: VerificationSettings,
  timing: RevocationTiming,
  clock: Clock,
): LocalStoreSet {
  const { secretPrefix, upstash } = stores;
  const secrets =
    secretPrefix === undefined
      ? undefined
      : new SecretsManagerClient({ ...stores.aws, ...AWS_CLIENT_LIMITS });
  const keyrings = (name: KeyringName): KeyringStore =>
    secrets === undefined || secretPrefix === undefined
      ? new FileKeyringStore(localKeyringPath(dir, name))
      : new SecretsManagerKeyringStore({
          client: secrets,
          prefix: keyringSecretPrefix(secretPrefix, name),
          clock,
        });
  const prefix = verification.redisPrefix;
  if (upstash === undefined) {
    const memory = new MemoryRevocationStore(timing, clock);
    const receipts = new MemoryReceipts(verification.receiptWindowSeconds * SECOND);
    return {
      keyrings,
      revocations: memory,
      rules: { lookups: memory, log: memory },
      audit: new MemoryAuditJournal(),
      usage: new MemoryUsageStore(receipts),
      receipts,
      jwksConsumers: new MemoryJwksConsumers(),
      refresh: new MemoryRefreshStore(memory),
    };
  }
  return {
    keyrings,
    revocations: new UpstashRevocationStore({ ...upstash, prefix, timing }),
    rules: upstashRevocationSources(upstash, verification),
    audit: new UpstashAuditJournal(upstash, undefined, prefix),
    usage: new UpstashUsageStore(upstash, prefix, verification.receiptWindowSeconds * SECOND),
    receipts: new UpstashReceipts(upstash, prefix),
    jwksConsumers: new UpstashJwksConsumers(upstash, prefix),
    refresh: new UpstashRefreshStore({ ...upstash, prefix }),
  };
}
