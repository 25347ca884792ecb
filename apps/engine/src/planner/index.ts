export * from "./plan.js";
export * from "./input-partitions.js";
