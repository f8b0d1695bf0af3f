import { isNumeric, toNumber } from "../bson-values.js";
import type { CommandHandler } from "../command-context.js";
import { CommandError } from "../errors.js";

export const MAX_WIRE_VERSION = 21;
const VERSION = "7.0.0";

// No topologyVersion (the driver would start streaming hello) and no compression.
const hello: CommandHandler = (body, context) => ({
  ...(body.helloOk === true ? { helloOk: true } : {}),
  ismaster: true,
  isWritablePrimary: true,
  maxBsonObjectSize: 16 * 1024 * 1024,
  maxMessageSizeBytes: 48_000_000,
  maxWriteBatchSize: 100_000,
  localTime: new Date(),
  logicalSessionTimeoutMinutes: 30,
  connectionId: context.connectionId,
  minWireVersion: 0,
  maxWireVersion: MAX_WIRE_VERSION,
  readOnly: false,
  ok: 1,
});

const buildInfo: CommandHandler = () => ({
  version: VERSION,
  versionArray: [7, 0, 0, 0],
  gitVersion: "mongo-double",
  bits: 64,
  maxBsonObjectSize: 16 * 1024 * 1024,
  storageEngines: ["memory"],
  ok: 1,
});

const getParameter: CommandHandler = (body, context) => {
  const known: Record<string, unknown> = {
    featureCompatibilityVersion: { version: "7.0" },
    ttlMonitorSleepSecs: context.settings.ttlMonitorSleepSecs,
  };
  const wanted =
    body.getParameter === "*"
      ? Object.keys(known)
      : Object.keys(body).filter((key) => key !== "getParameter" && key !== "comment");
  const reply: Record<string, unknown> = {};
  for (const name of wanted) if (name in known) reply[name] = known[name];
  if (Object.keys(reply).length === 0) throw new CommandError(72, "no option found to get");
  return { ...reply, ok: 1 };
};

const setParameter: CommandHandler = (body, context) => {
  const value = body.ttlMonitorSleepSecs;
  if (value === undefined) throw new CommandError(72, "no option found to set, use help:true to see options ");
  if (!isNumeric(value) || toNumber(value) < 1)
    throw new CommandError(2, "ttlMonitorSleepSecs must be a positive number");
  const was = context.settings.ttlMonitorSleepSecs;
  context.settings.ttlMonitorSleepSecs = toNumber(value);
  context.onSettingsChanged();
  return { was, ok: 1 };
};

// mongod's test-only failpoint that makes every command with maxTimeMS time out.
const configureFailPoint: CommandHandler = (body, context) => {
  if (body.configureFailPoint !== "maxTimeAlwaysTimeOut") {
    throw new CommandError(2, `Cannot find failpoint ${String(body.configureFailPoint)}`);
  }
  context.settings.maxTimeAlwaysTimeOut = body.mode === "alwaysOn";
  return { count: 0, ok: 1 };
};

const ok: CommandHandler = () => ({ ok: 1 });

const transactionsUnsupported: CommandHandler = () => {
  throw new CommandError(20, "Transaction numbers are only allowed on a replica set member or mongos");
};

export const adminCommands: Record<string, CommandHandler> = {
  hello,
  isMaster: hello,
  ismaster: hello,
  buildInfo,
  buildinfo: buildInfo,
  getParameter,
  setParameter,
  configureFailPoint,
  ping: ok,
  endSessions: ok,
  killSessions: ok,
  killAllSessions: ok,
  refreshSessions: ok,
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
  whatsmyuri: () => ({ you: "127.0.0.1", ok: 1 }),
  serverStatus: () => ({ host: "mongo-double", version: VERSION, process: "mongod", uptime: process.uptime(), ok: 1 }),
  hostInfo: () => ({ system: { hostname: "mongo-double" }, ok: 1 }),
  commitTransaction: transactionsUnsupported,
  abortTransaction: transactionsUnsupported,
};
