export { DiskGuard, statfsProbe, type DiskGuardSettings, type DiskSpace, type DiskState, type DiskStatus, type FreeSpaceProbe, type WatchedPath } from "./guard.js";
export { DISK_GUARD_DEFAULTS, diskGuardSettingsFromEnv } from "./settings.js";
