import { chmodSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerSettings } from "./command-context.js";
import { dispatchCommand } from "./command-dispatch.js";
import { CursorManager } from "./cursor-manager.js";
import { SqliteStorage } from "./sqlite-storage.js";
import { Store } from "./store.js";
import { TtlMonitor, removeExpired } from "./ttl-monitor.js";
import { MessageReader, encodeReply, parseMessage } from "./wire-protocol.js";

export interface MongoDoubleOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  host?: string;
  /** How often expired TTL documents are removed; mongod's default is 60 s. */
  ttlMonitorIntervalMs?: number;
  /** Keeps the data in this directory across restarts; in memory only when omitted. */
  dataDir?: string;
}

export interface MongoDouble {
  uri: string;
  /**
   * The same server on a Unix domain socket (absent on Windows, or when the socket cannot be
   * made): a round trip there costs both sides less CPU than over loopback TCP, as with mongod's own socket.
   */
  socketUri?: string;
  port: number;
  /** The file the data is kept in, when persistent. */
  dataFile: string | undefined;
  close(): Promise<void>;
}

/** Listens on a Unix domain socket in the temporary directory, as mongod does beside its port; undefined where that fails. */
async function listenLocally(
  onConnection: (socket: Socket) => void,
  name: string,
): Promise<{ server: Server; path: string } | undefined> {
  if (process.platform === "win32") return undefined;
  const path = join(tmpdir(), name);
  const server = createServer(onConnection);
  return new Promise((resolve) => {
    server.once("error", () => resolve(undefined));
    server.listen(path, () => {
      // Only this user may connect (connecting needs write permission), whatever the umask.
      chmodSync(path, 0o600);
      resolve({ server, path });
    });
  });
}

/** Starts a server that the official MongoDB driver talks to as to a standalone mongod, in memory unless given a data directory. */
export async function startMongoDouble(options: MongoDoubleOptions = {}): Promise<MongoDouble> {
  const host = options.host ?? "127.0.0.1";
  const durable = options.dataDir === undefined ? undefined : SqliteStorage.open(options.dataDir);
  const store = durable?.store ?? new Store();
  // A reply leaves only after the changes behind it are durable (write concern w:1 with journaling).
  const commit = (): void => durable?.storage.commit();
  const cursors = new CursorManager();
  const settings: ServerSettings = {
    ttlMonitorSleepSecs: (options.ttlMonitorIntervalMs ?? 60_000) / 1000,
    maxTimeAlwaysTimeOut: false,
  };
  const ttl = new TtlMonitor(() => {
    removeExpired(store.allCollections());
    try {
      commit();
    } catch (error) {
      // Kept pending: the next command's commit tries again, and that command is not acknowledged if it fails.
      console.error(
        `MongoDB double: could not save expired documents' removal: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  });
  const restartTtl = (): void => ttl.start(settings.ttlMonitorSleepSecs * 1000);
  restartTtl();
  const sockets = new Set<Socket>();
  let connections = 0;

  const onConnection = (socket: Socket): void => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const connectionId = ++connections;
    const reader = new MessageReader();
    // One connection's commands run in the order they arrived, one at a time, as on mongod;
    // while one works in slices, other connections' commands run between the slices.
    let previous: Promise<void> = Promise.resolve();
    const serve = async (message: Buffer): Promise<void> => {
      const request = parseMessage(message);
      const reply = await dispatchCommand(request.body, request.db, {
        store,
        cursors,
        settings,
        connectionId,
        onSettingsChanged: restartTtl,
      });
      commit();
      if (!request.moreToCome && !socket.destroyed) socket.write(encodeReply(request, reply));
    };
    socket.on("data", (chunk) => {
      try {
        for (const message of reader.push(chunk)) {
          previous = previous
            .then(() => serve(message))
            .catch(() => {
              socket.destroy();
            });
        }
      } catch {
        socket.destroy();
      }
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => sockets.delete(socket));
  };
  const server = createServer(onConnection);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  }).catch((error: unknown) => {
    durable?.storage.close();
    throw error;
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const local = await listenLocally(onConnection, `roster-mongo-double-${process.pid}-${port}.sock`);
  return {
    uri: `mongodb://${host}:${port}/?directConnection=true`,
    ...(local && { socketUri: `mongodb://${encodeURIComponent(local.path)}/?directConnection=true` }),
    port,
    dataFile: durable?.storage.file,
    close: async () => {
      ttl.stop();
      cursors.clear();
      for (const socket of sockets) socket.destroy();
      await Promise.all(
        [server, local?.server].map(
          (listener) => listener && new Promise<void>((resolve) => listener.close(() => resolve())),
        ),
      );
      durable?.storage.close();
    },
  };
}
