import { Arn, ArnFormat, Stack } from "aws-cdk-lib";
import { Grant, type IGrantable } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { Construct, IConstruct } from "constructs";
import { type KeyringName, keyringSecretPrefix } from "../shared/keyring/names.ts";
import { OWNER_TAG, publicKeysName } from "../shared/keyring-store/secrets-layout.ts";
import { acknowledge, REASONS, wildcardResource } from "./nag.ts";

/** What a principal may do with keyrings' secrets. */
export type KeyringAccess = "read" | "write" | "destroy";

/** The secrets of one deployment's keyrings, and who may do what with them. */
export class KeyringGrants {
  constructor(
    private readonly scope: Construct,
    private readonly prefix: string,
    /** The deployment that owns the secrets: its writers tag them, only its own delete them. */
    private readonly owner: string,
    private readonly encryptionKey?: IKey,
    private readonly replicaRegions: readonly string[] = [],
  ) {}

  /** The ARN pattern of a keyring's secrets (`<prefix>/*` or `<prefix>-sessions/*`). */
  secrets(keyring: KeyringName): string {
    return this.#arn(`${keyringSecretPrefix(this.prefix, keyring)}/*`);
  }

  /** The public keys' secret, which the public JWKS function reads and nothing else. */
  publicKeys(): string {
    return this.#arn(`${publicKeysName(this.prefix)}-??????`);
  }

  /**
   * `read` for verifiers and sealers, `write` for the ops API, `destroy` (write, and delete
   * material) for the rotation function and the teardown. Reading is one BatchGetSecretValue
   * filtered on the prefix: that call and ListSecrets (which a filter needs) take no resource,
   * and the values stay guarded by GetSecretValue on these keyrings' secrets only. Writers create
   * secrets only with their own owner tag; deletes need the secret to carry it (IAM evaluates
   * the tag; the store checks it again in code).
   */
  grant(
    grantee: IGrantable,
    access: KeyringAccess,
    keyrings: readonly KeyringName[] = ["signing"],
  ) {
    const resources = keyrings.map((keyring) => this.secrets(keyring));
    Grant.addToPrincipal({
      grantee,
      actions: ["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"],
      resourceArns: ["*"],
    });
    // The wildcards these grants need, accepted with their reasons on the grantee itself.
    const principal = grantee.grantPrincipal as Partial<IConstruct>;
    if (principal.node !== undefined) {
      const on = principal as IConstruct;
      acknowledge(on, "AwsSolutions-IAM5[Resource::*]", REASONS.listSecrets);
      for (const arn of resources)
        acknowledge(on, wildcardResource(on, arn), REASONS.keyringSecrets);
    }
    Grant.addToPrincipal({
      grantee,
      actions: ["secretsmanager:GetSecretValue"],
      resourceArns: resources,
    });
    this.encryptionKey?.grantDecrypt(grantee);
    if (access === "read") return;
    Grant.addToPrincipal({
      grantee,
      actions: ["secretsmanager:PutSecretValue"],
      resourceArns: resources,
    });
    // Created and tagged as this deployment's, and no other tag value written.
    Grant.addToPrincipal({
      grantee,
      actions: ["secretsmanager:CreateSecret", "secretsmanager:TagResource"],
      resourceArns: resources,
      conditions: { StringEquals: { [`aws:RequestTag/${OWNER_TAG}`]: this.owner } },
    });
    if (this.replicaRegions.length > 0)
      Grant.addToPrincipal({
        grantee,
        actions: ["secretsmanager:ReplicateSecretToRegions"],
        resourceArns: resources,
      });
    if (this.encryptionKey !== undefined) {
      this.encryptionKey.grantEncryptDecrypt(grantee);
      const on = grantee.grantPrincipal as Partial<IConstruct>;
      if (on.node !== undefined)
        for (const action of ["kms:ReEncrypt*", "kms:GenerateDataKey*"])
          acknowledge(on as IConstruct, `AwsSolutions-IAM5[Action::${action}]`, REASONS.dataKeys);
    }
    if (access === "destroy")
      Grant.addToPrincipal({
        grantee,
        actions: ["secretsmanager:DeleteSecret"],
        resourceArns: resources,
        conditions: {
          StringEquals: { [`secretsmanager:ResourceTag/${OWNER_TAG}`]: this.owner },
        },
      });
  }

  /** Reading the public keys' secret, nothing more (the public JWKS function). */
  grantPublicKeys(grantee: IGrantable): void {
    Grant.addToPrincipal({
      grantee,
      actions: ["secretsmanager:GetSecretValue"],
      resourceArns: [this.publicKeys()],
    });
    this.encryptionKey?.grantDecrypt(grantee);
  }

  #arn(resourceName: string): string {
    return Arn.format(
      {
        service: "secretsmanager",
        resource: "secret",
        resourceName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      },
      Stack.of(this.scope),
    );
  }
}
