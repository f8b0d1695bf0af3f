import { CommandError } from "./errors.js";

/**
 * Paused commands wait here in turn; one resumes per turn of the event loop, so the sockets are
 * polled between any two slices, however many commands are working: a cheap command waits for
 * one slice at most, not for a slice of each.
 */
const paused: Array<() => void> = [];
let resumeScheduled = false;

function resumeNext(): void {
  resumeScheduled = false;
  paused.shift()?.();
  if (paused.length > 0) scheduleResume();
}

function scheduleResume(): void {
  if (resumeScheduled) return;
  resumeScheduled = true;
  setImmediate(resumeNext);
}

const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    paused.push(resolve);
    scheduleResume();
  });

/** Units of work (documents examined, comparisons) between two looks at the clock. */
const CHECK_EVERY = 4;
/** Longest stretch a reading command works before other connections get their turn. */
const SLICE_MS = 1;

/**
 * Enforces a command's maxTimeMS the way mongod does: checked while the operation works, not
 * only at its end. Reading commands also work in slices: `step` yields the event loop once a
 * slice is used up, so one long scan or sort never holds up other connections' commands (or the
 * driver's heartbeats), as mongod's query yielding does not either.
 */
export class Deadline {
  readonly #expiresAt: number;
  #work = 0;
  #nextCheck = CHECK_EVERY;
  #sliceEnds = performance.now() + SLICE_MS;

  constructor(maxTimeMS: number | undefined, alwaysTimeOut: boolean) {
    this.#expiresAt = maxTimeMS && maxTimeMS > 0 ? performance.now() + maxTimeMS : Number.POSITIVE_INFINITY;
    if (alwaysTimeOut && maxTimeMS && maxTimeMS > 0) throw expired();
  }

  /** Call once per document examined by a command that must not yield (a write). */
  tick(): void {
    if (++this.#work >= this.#nextCheck) {
      this.#nextCheck = this.#work + CHECK_EVERY;
      this.check();
    }
  }

  /**
   * Call after `units` of work; returns a promise to await when the slice is used up (the event
   * loop serves others meanwhile), else undefined, so hot loops pay no promise per document.
   */
  step(units = 1): Promise<void> | undefined {
    this.#work += units;
    if (this.#work < this.#nextCheck) return undefined;
    this.#nextCheck = this.#work + CHECK_EVERY;
    const now = performance.now();
    if (now > this.#expiresAt) throw expired();
    return now < this.#sliceEnds ? undefined : this.#yield();
  }

  async #yield(): Promise<void> {
    await nextTurn();
    this.#sliceEnds = performance.now() + SLICE_MS;
    this.check();
  }

  check(): void {
    if (performance.now() > this.#expiresAt) throw expired();
  }
}

const expired = (): CommandError => new CommandError(50, "operation exceeded time limit");
