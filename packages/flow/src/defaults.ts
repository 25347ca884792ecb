/**
 * Defaults the engine applies when a document leaves a setting out, here so that the planner
 * applies and the designer shows the same figure.
 */

/** Records waiting on a durable edge's topic above which the sources feeding it pause. */
export const DEFAULT_QUEUE_THRESHOLD = 1_000_000;
