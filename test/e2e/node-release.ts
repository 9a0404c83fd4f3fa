// A Node release other than the pinned one, for the day-2 Node upgrade (test/e2e/day2.test.ts).
// `npm run setup` fetches its tarball into the cache (scripts/prefetch-node.ts): tests reach only
// loopback and their own hosts, never the npm registry.
export const NODE_UPGRADE_RELEASE = "22.23.5";
