import type { Doc } from "./bson-values.js";
import type { CursorManager } from "./cursor-manager.js";
import type { Store } from "./store.js";

/** Server-wide settings that commands may read or change (setParameter, configureFailPoint). */
export interface ServerSettings {
  ttlMonitorSleepSecs: number;
  maxTimeAlwaysTimeOut: boolean;
}

/** What a command handler gets besides its body. */
export interface CommandContext {
  readonly store: Store;
  readonly cursors: CursorManager;
  readonly settings: ServerSettings;
  readonly db: string;
  readonly connectionId: number;
  /** Called after settings changed, so the TTL monitor can pick up a new interval. */
  readonly onSettingsChanged: () => void;
}

/** Runs one command; reading commands may work asynchronously, in slices (see Deadline). */
export type CommandHandler = (body: Doc, context: CommandContext) => Doc | Promise<Doc>;
