export * from "./document.js";
export * from "./catalog-types.js";
