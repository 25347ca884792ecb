import { errorMessage, type Logger } from "./log.js";

/**
 * Last line of defence for a process running flows: every runtime path catches its own errors (a
 * failing stage is logged, reported as a batch error and retried), but an unhandled rejection or
 * an exception thrown from a library callback must never take every flow it runs down with it.
 * Both are logged with their stack and the process keeps running.
 */
export function keepRunningOnStrayErrors(log: Logger): void {
  let unhandled = 0;
  process.on("unhandledRejection", (reason) => {
    unhandled++;
    log.error(
      { err: reason, unhandledRejections: unhandled },
      `unhandled promise rejection #${unhandled}: ${errorMessage(reason)}; ignored, the process keeps running (a bug: report it with this stack)`,
    );
  });
  // each HTTP request's own exceptions are answered 500 by the server; these come from timers and events
  let uncaught = 0;
  process.on("uncaughtException", (err) => {
    uncaught++;
    log.error(
      { err, uncaughtExceptions: uncaught },
      `uncaught exception #${uncaught}: ${errorMessage(err)}; ignored, the process keeps running (a bug: report it with this stack)`,
    );
  });
}
