/** Tests run TypeScript through swc (fast, no type check); `npm run typecheck` checks types. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/src", "<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": "<rootDir>/jest.transform.js" },
  testTimeout: 120000,
};
