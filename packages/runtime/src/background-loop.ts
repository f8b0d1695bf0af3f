/**
 * Runs background work in passes: one at start, then one `idleMs` after
 * each pass, at once after a pass that reports more work, and soon after
 * `wake()` (a pass running then is followed by another). Passes never overlap;
 * `stop()` waits for the one running.
 */
export class BackgroundLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private wanted = false;
  private halted = false;

  /** `pass` resolves true when it left work it could do at once. */
  constructor(
    private readonly pass: () => Promise<boolean>,
    private readonly idleMs: number,
  ) {}

  get stopped(): boolean {
    return this.halted;
  }

  start(): void {
    this.schedule(0);
  }

  readonly wake = (): void => {
    if (this.halted) return;
    if (this.running === undefined) this.schedule(0);
    else this.wanted = true;
  };

  async stop(): Promise<void> {
    this.halted = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.wanted = false;
      let more = false;
      this.running = this.pass()
        .then((result) => void (more = result))
        .finally(() => {
          this.running = undefined;
          if (!this.halted) this.schedule(this.wanted || more ? 0 : this.idleMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
