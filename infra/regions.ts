import { ConfigInvalid } from "../shared/kernel/errors.ts";

/**
 * Regions where Lambda function URLs (`AWS::Lambda::Url`), which the ops API, the issuing endpoint
 * and the public JWKS are served by, do not exist (cfn-lint 1.58's region data; a test keeps
 * this list in step with it).
 */
export const REGIONS_WITHOUT_FUNCTION_URLS: readonly string[] = [
  "ap-east-2",
  "ap-south-2",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "ca-west-1",
  "cn-northwest-1",
  "eu-central-2",
  "il-central-1",
  "me-central-1",
  "mx-central-1",
  "us-gov-east-1",
  "us-gov-west-1",
];

/**
 * Refuses a region keyward's stack cannot be created in, naming the way out: the stack in a region
 * with function URLs, and a regional verifier (`replicaRegions`, an authorizer with no function
 * URL) next to the API. An environment-agnostic stack (region unknown at synth) is not checked.
 */
export function checkRegion(region: string, what = "keyward's stack"): void {
  if (!REGIONS_WITHOUT_FUNCTION_URLS.includes(region)) return;
  throw new ConfigInvalid([
    `${what} cannot be created in ${region}: Lambda function URLs (the ops API, the issuing endpoint, the public JWKS) do not exist there. Deploy it in a region that has them (for example eu-central-1 or us-east-1) and add ${region} to replicaRegions: a regional verifier (the authorizer, reading a replica of the keyring) runs next to your API there`,
  ]);
}
