import { Arn, Stack } from "aws-cdk-lib";
import { Grant, type IGrantable } from "aws-cdk-lib/aws-iam";
import type { Construct, IConstruct } from "constructs";
import { KMS_KEYRING_TAG } from "../shared/keyring-store/kms-custody.ts";
import { trimPrefix } from "../shared/keyring-store/secrets-layout.ts";
import { acknowledge, REASONS, wildcardResource } from "./nag.ts";

/**
 * Who may do what with a signing keyring's keys in AWS KMS (`signingKeys: "kms"`). The keys are
 * made at run time, so IAM names them by their tag (`keyward:keyring` = the keyring's prefix):
 * issuers may `kms:Sign` with them and nothing else; the ops API and the rotation function may
 * create them (tagged so), read their public half and state, disable and enable them; only the
 * rotation function (and a teardown) schedules their deletion. Nobody may sign but issuers, and no action that
 * imports or exports material is granted to anyone.
 */
export class KmsKeyGrants {
  readonly #tagged: Record<string, Record<string, string>>;
  readonly #requested: Record<string, Record<string, string>>;

  constructor(
    private readonly scope: Construct,
    keyringPrefix: string,
    /** Where the keys are: the home deployment's region (a regional issuer signs there). */
    private readonly region?: string,
  ) {
    const tag = trimPrefix(keyringPrefix);
    this.#tagged = { StringEquals: { [`aws:ResourceTag/${KMS_KEYRING_TAG}`]: tag } };
    this.#requested = { StringEquals: { [`aws:RequestTag/${KMS_KEYRING_TAG}`]: tag } };
  }

  /** The ARN pattern of the account's keys in their region (this stack's, or home's): the tag narrows it. */
  keys(): string {
    return Arn.format(
      {
        service: "kms",
        resource: "key",
        resourceName: "*",
        ...(this.region === undefined ? {} : { region: this.region }),
      },
      Stack.of(this.scope),
    );
  }

  /** An issuer (the issuing function, a login function with `keyward/issuer`): signs, nothing more. */
  grantSign(grantee: IGrantable): void {
    this.#grant(grantee, ["kms:Sign"], this.#tagged);
  }

  /** A writer: creates keys tagged with this keyring, follows their lifecycle; `destroys` deletes. */
  grantManage(grantee: IGrantable, destroys: boolean): void {
    Grant.addToPrincipal({
      grantee,
      actions: ["kms:CreateKey"],
      resourceArns: ["*"],
      conditions: this.#requested,
    });
    this.#grant(grantee, ["kms:TagResource"], this.#requested);
    this.#grant(
      grantee,
      [
        "kms:DescribeKey",
        "kms:GetPublicKey",
        "kms:DisableKey",
        "kms:EnableKey",
        ...(destroys ? ["kms:ScheduleKeyDeletion"] : []),
      ],
      this.#tagged,
    );
    const on = grantee.grantPrincipal as Partial<IConstruct>;
    if (on.node !== undefined)
      acknowledge(on as IConstruct, "AwsSolutions-IAM5[Resource::*]", REASONS.createKey);
  }

  /** The teardown of a deployment taken down: schedules its keys' deletion, nothing else. */
  grantDestroy(grantee: IGrantable): void {
    this.#grant(grantee, ["kms:ScheduleKeyDeletion"], this.#tagged);
  }

  #grant(
    grantee: IGrantable,
    actions: string[],
    conditions: Record<string, Record<string, string>>,
  ): void {
    Grant.addToPrincipal({ grantee, actions, resourceArns: [this.keys()], conditions });
    const on = grantee.grantPrincipal as Partial<IConstruct>;
    if (on.node !== undefined)
      acknowledge(
        on as IConstruct,
        wildcardResource(on as IConstruct, this.keys()),
        REASONS.kmsKeys,
      );
  }
}
