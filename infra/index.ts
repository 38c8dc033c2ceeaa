/**
 * `keyward/cdk`: the constructs a team adds to its own CDK app (docs/deploying.md). The Lambda
 * code they deploy is prebuilt inside the package: the app needs no TypeScript source of
 * keyward and no bundler of its own.
 */
export { ConfigInvalid, KeywardError } from "../shared/kernel/errors.ts";
export type { AttachOptions, RestAttachOptions } from "./attach.ts";
export { Keyward, UNFILLED_SECRET } from "./keyward.ts";
export { keywardOutputs } from "./outputs.ts";
export type { KeywardProps } from "./props.ts";
export { KeywardRegion, type KeywardRegionProps } from "./region.ts";
export type { KeywardSettings, SessionKeyringSettings } from "./settings.ts";
