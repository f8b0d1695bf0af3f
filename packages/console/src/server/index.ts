// The Node side of the console: what user-service mounts on its HTTP port.
export { createConsoleHandler, tokenPathSegment, type ConsoleOptions } from "./console-handler.js";
export { contentSecurityPolicy } from "./static-files.js";
export { forwardedMethods } from "./token-forwarding.js";
