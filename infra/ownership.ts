import type { IConstruct } from "constructs";
import { ConfigInvalid } from "../shared/kernel/errors.ts";
import { KEYRING_NAMES, keyringSecretPrefix } from "../shared/keyring/names.ts";

/** Per CDK app, the secret prefixes its keyward deployments use, by owner. */
const claims = new WeakMap<IConstruct, Map<string, string>>();

/** The names a prefix's keyrings live under (`<prefix>/`, `<prefix>-sessions/`). */
function namespaces(prefix: string): string[] {
  return KEYRING_NAMES.map((keyring) => `${keyringSecretPrefix(prefix, keyring)}/`);
}

/**
 * Each deployment owns its keyrings: two in one app must not share a prefix, nor have one's
 * secrets fall under the other's (`keyward/prod` and `keyward/prod/x`, or `keyward/prod-sessions`),
 * or one's rotation would tick, and its teardown could delete, the other's keyring.
 */
export function claimPrefix(scope: IConstruct, prefix: string, owner: string): void {
  const root = scope.node.root;
  const claimed = claims.get(root) ?? new Map<string, string>();
  claims.set(root, claimed);
  for (const [other, otherOwner] of claimed) {
    const overlap = namespaces(prefix).some((mine) =>
      namespaces(other).some((theirs) => mine.startsWith(theirs) || theirs.startsWith(mine)),
    );
    if (overlap)
      throw new ConfigInvalid([
        `secretPrefix ${prefix} of ${owner} overlaps ${other} of ${otherOwner}: each keyward deployment owns its keyrings; give one of them another secretPrefix (the default is keyward/<stack name>)`,
      ]);
  }
  claimed.set(prefix, owner);
}
