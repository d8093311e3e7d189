// @ipledger/sdk: the browser-safe core (no Node-only APIs). Node key-file helpers are in
// "@ipledger/sdk/node".

export * from "./result.js";
export * from "./bytes.js";
export * from "./keys.js";
export * from "./merkle.js";
export * from "./note.js";
export * from "./log.js";
export * from "./verify.js";
export * from "./statement.js";
export * from "./httpsig.js";
export * from "./client.js";
export * from "./statusmap.js";
