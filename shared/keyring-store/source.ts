import { awsSettings } from "../config/aws-env.ts";
import type { Environment } from "../config/env.ts";
import type { Keyring } from "../keyring/keyring.ts";
import type { KeyringName } from "../keyring/names.ts";
import { keyringSecretPrefix } from "../keyring/names.ts";
import { FileKeyringStore, localKeyringPath } from "./file.ts";
import { readerFromEnvironment } from "./secrets-reader.ts";

/**
 * Where a library (`keyward/issuer`, `keyward/sessions`) reads a keyring: Secrets Manager under
 * the deployment's prefix with the standard AWS variables, the local stack's folder (`npm start`
 * writes `.keyward/`), or any loader (tests).
 */
export type KeyringSource =
  | {
      /** The deployment's prefix (`KEYWARD_SECRET_PREFIX`), e.g. `keyward/prod`. */
      readonly secretPrefix: string;
      /** Region, credentials and endpoint, from the standard AWS variables. Default `process.env`. */
      readonly env?: Environment;
    }
  | {
      /** The local stack's folder (`KEYWARD_LOCAL_DIR`, default `.keyward`), to try a library. */
      readonly localDir: string;
    }
  | { readonly load: () => Promise<Keyring | undefined> };

/**
 * The loader of `keyring` from a source, or the problems that stop it (each naming `option`):
 * checked when a library is made, so a missing variable is a `ConfigInvalid` at start.
 */
export function keyringLoader(
  source: KeyringSource,
  keyring: KeyringName,
  option = "keyring",
): { load: () => Promise<Keyring | undefined> } | { problems: string[] } {
  const given = typeof source === "object" && source !== null ? source : undefined;
  const kinds =
    given === undefined
      ? []
      : (["secretPrefix", "localDir", "load"] as const).filter((k) => k in given);
  if (given === undefined || kinds.length !== 1)
    return {
      problems: [
        `${option} must be one of { secretPrefix }, { localDir } (the local stack's folder) or { load }`,
      ],
    };
  if ("load" in given)
    return typeof given.load === "function"
      ? { load: given.load }
      : { problems: [`${option}.load must be a function`] };
  if ("localDir" in given) {
    if (typeof given.localDir !== "string" || given.localDir === "")
      return { problems: [`${option}.localDir must be a folder, e.g. ".keyward"`] };
    const store = new FileKeyringStore(localKeyringPath(given.localDir, keyring));
    return { load: () => store.load() };
  }
  if (typeof given.secretPrefix !== "string" || given.secretPrefix === "")
    return {
      problems: [`${option}.secretPrefix must be the deployment's prefix, e.g. keyward/prod`],
    };
  const env = given.env ?? process.env;
  const { region, credentials } = awsSettings(env, "AWS_ENDPOINT_URL_SECRETS_MANAGER");
  if (region === undefined || credentials === undefined)
    return {
      problems: [
        `${option}.secretPrefix needs AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Lambda sets them)`,
      ],
    };
  const reader = readerFromEnvironment(env, keyringSecretPrefix(given.secretPrefix, keyring));
  return { load: () => reader.load() };
}
