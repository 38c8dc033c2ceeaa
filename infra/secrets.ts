import { type RemovalPolicy, SecretValue } from "aws-cdk-lib";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { type ISecret, Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import type { UpstashRole } from "../shared/upstash/acl.ts";

/**
 * What a secret to fill holds until the operator fills it: not a random string (CDK's default,
 * which looks like a value), but a text every function refuses at start, naming what is missing.
 */
export const UNFILLED_SECRET = "not filled in yet: see the stack's outputs (docs/deploying.md)";

export interface SecretToFill {
  readonly description: string;
  readonly removalPolicy: RemovalPolicy;
  readonly encryptionKey?: IKey;
  /** A name of its own (regional verifiers find it by name in their region). */
  readonly secretName?: string;
  /** Regions it is replicated to. */
  readonly replicaRegions?: readonly string[];
  /** A random value Secrets Manager makes (never shown), instead of one the operator fills. */
  readonly generated?: boolean;
}

/**
 * A secret the operator fills after deploy (docs/deploying.md), created holding `UNFILLED_SECRET`;
 * or, `generated`, one Secrets Manager fills with a random value.
 */
export function secretToFill(scope: Construct, id: string, props: SecretToFill): ISecret {
  // `as ISecret`: aws-cdk-lib's types predate exactOptionalPropertyTypes (Secret's optional
  // secretFullArn does not match ISecret's under it); the object is an ISecret all the same.
  return new Secret(scope, id, {
    description: props.description,
    ...(props.generated
      ? { generateSecretString: { passwordLength: 64, excludePunctuation: true } }
      : { secretStringValue: SecretValue.unsafePlainText(UNFILLED_SECRET) }),
    removalPolicy: props.removalPolicy,
    ...(props.encryptionKey === undefined ? {} : { encryptionKey: props.encryptionKey }),
    ...(props.secretName === undefined ? {} : { secretName: props.secretName }),
    ...(props.replicaRegions === undefined || props.replicaRegions.length === 0
      ? {}
      : { replicaRegions: props.replicaRegions.map((region) => ({ region })) }),
  }) as ISecret;
}

/** The Upstash credential each kind of function holds (docs/deploying.md, "Upstash"). */
export const UPSTASH_SECRETS: Readonly<
  Record<UpstashRole, { readonly id: string; readonly description: string }>
> = {
  writer: {
    id: "UpstashCredentials",
    description:
      'keyward: Upstash REST credentials of the writers (rotation, ops API), {"url": "...", "token": "..."}; fill in after deploy',
  },
  issuer: {
    id: "UpstashIssuerCredentials",
    description:
      'keyward: Upstash REST credentials of the issuing endpoint (ACL user keyward-issuer), {"url": "...", "token": "..."}; fill in after deploy',
  },
  reader: {
    id: "UpstashReaderCredentials",
    description:
      'keyward: Upstash REST credentials of the verifiers and sealers (ACL user keyward-reader), {"url": "...", "token": "..."}; fill in after deploy',
  },
};

/**
 * The name of a secret a regional verifier reads from its own region's replica
 * (`<prefix>-config/<name>`): secrets that replicate get a name of their own, since a token of
 * one stack cannot cross into a stack of another region.
 */
export function replicatedName(prefix: string, name: string): string {
  return `${prefix}-config/${name}`;
}
