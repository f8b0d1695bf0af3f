import { CommandError } from "./errors.js";

const CHECK_EVERY = 256;

/** Enforces a command's maxTimeMS the way mongod does: checked while the operation works. */
export class Deadline {
  readonly #expiresAt: number;
  #ticks = 0;

  constructor(maxTimeMS: number | undefined, alwaysTimeOut: boolean) {
    this.#expiresAt = maxTimeMS && maxTimeMS > 0 ? Date.now() + maxTimeMS : Number.POSITIVE_INFINITY;
    if (alwaysTimeOut && maxTimeMS && maxTimeMS > 0) throw expired();
  }

  /** Call once per document examined. */
  tick(): void {
    if (++this.#ticks % CHECK_EVERY === 0) this.check();
  }

  check(): void {
    if (Date.now() > this.#expiresAt) throw expired();
  }
}

const expired = (): CommandError => new CommandError(50, "operation exceeded time limit");
