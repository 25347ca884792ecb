// Who may see which flow (per-flow access lists and user groups); roles are auth/'s.
export { checkedGroupNames, FlowAccess, withoutHiddenFlows, type FlowAccessView } from "./flow-access.js";
export { flowIdOf, type FlowIdAt } from "./flow-id.js";
