export * from "./envelope.js";
export * from "./errors.js";
export * from "./frame.js";
export * from "./frame-types.js";
export * from "./limits.js";
export * from "./relay-errors.js";
