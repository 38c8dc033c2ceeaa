/**
 * keyward's version, as the package says it (a test holds the two together): built into every
 * bundle, where no package.json travels, for the receipts each instance writes.
 */
export const PACKAGE_VERSION = "0.1.0";
